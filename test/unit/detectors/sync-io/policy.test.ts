// The sync-I/O policy: which calls are timed, how the calls in between are attributed, and when a
// site's line is written again.
import { describe, expect, it } from 'vitest';
import { createSiteBook, type ApiState } from '../../../../src/detectors/sync-io/policy.js';
import { isSampled } from '../../../../src/detectors/sampling.js';
import type { Finding, Frame, OtherFinding } from '../../../../src/finding.js';

const frame = (line: number): Frame => ({ file: '/app/server.js', line, column: 3, function: 'handler' });

describe('sync-I/O policy', () => {
  it('times the first 16 calls, then powers of two and every 1024th', () => {
    const sampled = Array.from({ length: 5000 }, (_, i) => i + 1).filter((n) => isSampled(n, false));
    expect(sampled.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(sampled.slice(16)).toEqual([32, 64, 128, 256, 512, 1024, 2048, 3072, 4096]);
    expect(isSampled(17, true)).toBe(true);
  });

  it('calls between samples go to the next sampled site, estimated; lines are written at the minimum, then at each doubling, and at exit', () => {
    const out: OtherFinding[] = [];
    const book = createSiteBook(1, (f: Finding) => out.push(f as OtherFinding));
    const state: ApiState = { api: 'fs.readFileSync', calls: 0, pending: 0, givenBack: 0, last: null };
    // Below the minimum: counted, not written.
    book.reportIfDue(book.record(state, [frame(10)], 0.5, 1000));
    expect(out).toHaveLength(0);
    book.reportIfDue(book.record(state, [frame(10)], 2, 1001));
    expect(out.map((f) => f.count)).toEqual([2]);
    state.pending = 5;
    book.reportIfDue(book.record(state, [frame(10)], 2, 1002));
    expect(out.map((f) => f.count)).toEqual([2, 8]);
    expect(out[1]).toMatchObject({ kind: 'sync-io', api: 'fs.readFileSync', estimated: true, id: out[0]?.id });
    expect(out[1]?.durationMs).toBeCloseTo(0.5 + 2 + 2 * 6, 5);
    // Not yet at the next doubling (16): nothing; at exit the pending calls and the final count.
    book.reportIfDue(book.record(state, [frame(10)], 2, 1003));
    state.pending = 3;
    book.flush([state]);
    expect(out.map((f) => f.count)).toEqual([2, 8, 12]);
    // Another line is another site.
    book.reportIfDue(book.record(state, [frame(20)], 3, 1004));
    expect(out.at(-1)?.site?.line).toBe(20);
    expect(out.at(-1)?.id).not.toBe(out[0]?.id);
  });
});
