// The finding an episode of the pool ledger becomes.
import { describe, expect, it } from 'vitest';
import { saturationFinding } from '../../../../src/detectors/threadpool/pool-detector.js';
import type { PoolCall, PoolEpisode, PoolSite } from '../../../../src/detectors/threadpool/ledger.js';
import type { RawFrame } from '../../../../src/frames/frames.js';

type Site = PoolSite & { raw: RawFrame[] };
const site = (api: string, line: number): Site => ({ api, inflight: 0, raw: [{ function: 'handler', file: '/app/server.js', line, column: 5 }] });

function episode(worst: Site | null, estimated: boolean): PoolEpisode<Site> {
  const hash = site('crypto.pbkdf2', 3);
  const call = { site: worst, estimated } as PoolCall<Site>;
  return {
    id: 'pool-0-1', time: 1000, startedAt: 0, queued: 2, worstMs: 84.6, worst: call, waited: 3,
    submitters: new Map([[site('fs.stat', 9), 1], [hash, 8]]), reportedMs: 84.6, ended: true,
  };
}

describe('saturationFinding', () => {
  it('names the call that waited, how long, the pool, and the sites that filled it, most calls first', () => {
    const f = saturationFinding(episode(site('fs.readFile', 12), false), false, 4)!;
    expect(f).toMatchObject({
      kind: 'threadpool-saturation', id: 'pool-0-1', time: 1000, api: 'fs.readFile', durationMs: 85, queued: 2, poolSize: 4,
      waited: 3, ongoing: false, site: { file: '/app/server.js', line: 12 },
      submitters: [{ api: 'crypto.pbkdf2', count: 8, site: { line: 3 } }, { api: 'fs.stat', count: 1, site: { line: 9 } }],
    });
    expect(f.estimated).toBeUndefined();
    expect(f.message).toMatch(/^fs\.readFile waited 85 ms for the libuv thread pool: all 4 of its threads were busy \(up to 2 calls queued\), filled by crypto\.pbkdf2 ×8 at .*server\.js:3:5, fs\.stat ×1 at/);
  });

  it('a waiting call with no site of its own is "pool work", estimated when its site was the last sampled one', () => {
    expect(saturationFinding(episode(null, false), true, 4)).toMatchObject({ api: 'pool work', site: null, frames: [], ongoing: true });
    expect(saturationFinding(episode(site('fs.stat', 9), true), true, 4)?.estimated).toBe(true);
  });
});
