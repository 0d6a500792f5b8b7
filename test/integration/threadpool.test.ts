import { describe, expect, it } from 'vitest';
import { fixture, latest, markerLine, runNode, type Line } from '../helpers.js';

const ofKind = (lines: Line[], kind: string) => latest(lines).filter((l) => l.kind === kind);

describe('threadpool-saturation', () => {
  it('a readFile behind eight pbkdf2 calls: one finding, the waiting site and the submitters', async () => {
    const file = fixture('threads-pool.mjs');
    const run = await runNode(file, { env: { ASYNC_DEBUG_REPORTERS: 'console,json' }, timeoutMs: 60_000 });
    expect(run.code).toBe(0);
    const found = ofKind(run.lines, 'threadpool-saturation');
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.ongoing).toBe(false);
    expect(f.api).toBe('fs.readFile');
    expect(f.site).toMatchObject({ file, line: markerLine(file, '@read') });
    expect(f.durationMs as number).toBeGreaterThanOrEqual(50);
    expect(f.poolSize).toBe(4);
    expect(f.queued as number).toBeGreaterThanOrEqual(1);
    const submitters = f.submitters as { api: string; count: number; site: { file: string; line: number } }[];
    expect(submitters[0]).toMatchObject({ api: 'crypto.pbkdf2', count: 8, site: { file, line: markerLine(file, '@pbkdf2') } });
    // the console says it once, when the episode is over
    expect(run.stderr.split('\n').filter((l) => l.includes('waited') && l.includes('thread pool'))).toHaveLength(1);
  });

  it('a pool API captured at the top level of an ES module (promisify(pbkdf2)) is seen: 24 hashes, a readFile behind them', async () => {
    const file = fixture('threads-pool-captured.mjs');
    const run = await runNode(file, { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const found = ofKind(run.lines, 'threadpool-saturation');
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.api).toBe('fs.promises.readFile');
    expect(f.site).toMatchObject({ file, line: markerLine(file, '@read') });
    const submitters = f.submitters as { api: string; count: number; site: { file: string; line: number } }[];
    expect(submitters[0]).toMatchObject({ api: 'crypto.pbkdf2', count: 24, site: { file, line: markerLine(file, '@pbkdf2') } });
  });

  it('bad values of its variables: one warning line each, defaults used (the finding is still made)', async () => {
    const file = fixture('threads-pool.mjs');
    const run = await runNode(file, {
      env: { ASYNC_DEBUG_POOL_WAIT_MS: 'soon', ASYNC_DEBUG_MESSAGE_MS: '-3', ASYNC_DEBUG_MESSAGE_BYTES: '1.5' },
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(0);
    const warnings = run.stderr.trim().split('\n');
    expect(warnings).toHaveLength(3);
    expect(run.stderr).toContain('ASYNC_DEBUG_POOL_WAIT_MS="soon"');
    expect(run.stderr).toContain('ASYNC_DEBUG_MESSAGE_MS="-3"');
    expect(run.stderr).toContain('ASYNC_DEBUG_MESSAGE_BYTES="1.5"');
    expect(ofKind(run.lines, 'threadpool-saturation')).toHaveLength(1);
  });

  it('UV_THREADPOOL_SIZE is read: with 16 threads nothing waits', async () => {
    const run = await runNode(fixture('threads-pool.mjs'), { env: { UV_THREADPOOL_SIZE: '16' }, timeoutMs: 60_000 });
    expect(run.code).toBe(0);
    expect(ofKind(run.lines, 'threadpool-saturation')).toEqual([]);
  });
});
