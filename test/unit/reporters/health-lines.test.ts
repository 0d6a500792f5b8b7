// The periodic health lines: one per new reading of a thread, thinned out over a long life, capped per
// process, in the contract's envelope.
import { describe, expect, it } from 'vitest';
import { healthLines, healthMessage } from '../../../src/reporters/health-lines.js';
import type { ThreadHealth } from '../../../src/thread-health.js';

function reading(threadId: number, time: number, extra: Partial<ThreadHealth> = {}): ThreadHealth {
  return {
    pid: 4242,
    threadId,
    time,
    delay: { min: 0.01, max: 12.345, mean: 1, p50: 0.5, p90: 2, p99: 7.891 },
    elu: 0.12345,
    activeMs: 100,
    idleMs: 900,
    blockedMs: 0,
    blocks: 0,
    exited: false,
    ...extra,
  };
}

describe('health lines', () => {
  it('writes each reading once, in the envelope of every line, with ids unique in the process', () => {
    const lines = healthLines();
    const first = lines.take([reading(0, 1000), reading(2, 1000, { threadName: 'resizer' })]);
    expect(first).toEqual([
      { v: 1, id: 'health-0-1', kind: 'health', time: 1000, pid: 4242, threadId: 0, message: 'main thread: loop delay p50 0.50 ms, p99 7.9 ms, max 12 ms; utilization 12%.', site: null, frames: [], loopDelay: { p50: 0.5, p99: 7.89, max: 12.35 }, elu: 0.123 },
      expect.objectContaining({ id: 'health-2-2', threadId: 2, threadName: 'resizer', message: expect.stringMatching(/^worker thread 2 "resizer": /) }),
    ]);
    // The same readings again (the tick came before the thread published anew): nothing.
    expect(lines.take([reading(0, 1000), reading(2, 1000)])).toEqual([]);
    expect(lines.take([reading(0, 2000)]).map((r) => r.id)).toEqual(['health-0-3']);
  });

  it('skips a thread that has not published yet (its slot holds only its start stamp)', () => {
    expect(healthLines().take([reading(0, 1000, { activeMs: 0, idleMs: 0 })])).toEqual([]);
  });

  it('thins a long-lived thread out: every reading, then every 2nd, then every 4th', () => {
    const lines = healthLines(1000, 3);
    const written: number[] = [];
    for (let t = 1; t <= 24; t++) for (const r of lines.take([reading(0, t)])) written.push(r.time);
    expect(written).toEqual([1, 2, 3, 5, 7, 9, 13, 17, 21]);
  });

  it('stops at the cap per process', () => {
    const lines = healthLines(5, 1000);
    let n = 0;
    for (let t = 1; t <= 10; t++) n += lines.take([reading(0, t), reading(1, t)]).length;
    expect(n).toBe(5);
  });

  it('a thread gone from the registry is forgotten, and ids stay unique', () => {
    const lines = healthLines();
    lines.take([reading(3, 1)]);
    lines.take([reading(0, 2)]);
    // Had thread 3 been remembered, this reading (same time) would be skipped as already seen.
    expect(lines.take([reading(3, 1)]).map((r) => r.id)).toEqual(['health-3-3']);
  });

  it('says it in one sentence', () => {
    expect(healthMessage({ threadId: 0, loopDelay: { p50: 0.02, p99: 250, max: 1500 }, elu: 0.996 })).toBe('main thread: loop delay p50 0.02 ms, p99 250 ms, max 1.50 s; utilization 100%.');
  });
});
