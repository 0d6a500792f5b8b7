// The loop gauges since the last collection: every window a thread published since then counts (the
// most, the least, the mean of means, the highest percentile), a window read twice counts once, the
// start-up stamp counts as none, and utilization comes from the cumulative active and idle time.
import { describe, expect, it } from 'vitest';
import { createLoopWindows } from '../../../src/otel/loop-windows.js';
import type { ThreadHealth } from '../../../src/thread-health.js';

function reading(threadId: number, time: number, max: number, p99: number, activeMs: number, idleMs: number): ThreadHealth {
  return { pid: 1, threadId, time, delay: { min: max / 10, max, mean: max / 2, p50: max / 4, p90: max / 2, p99 }, elu: 0.5, activeMs, idleMs, blockedMs: 0, blocks: 0, exited: false };
}

describe('loop windows since the last collection', () => {
  it('a spike in any window shows at the next collection, once; the next collection has only later windows', () => {
    const w = createLoopWindows();
    w.note([reading(0, 0, 0, 0, 0, 0)]); // the stamp at the thread's start: no numbers yet
    w.note([reading(0, 1000, 400, 390, 500, 500)]);
    w.note([reading(0, 1000, 400, 390, 500, 500)]); // the same window read again
    w.note([reading(0, 2000, 10, 9, 700, 1300)]);
    const first = w.collect([reading(0, 3000, 20, 18, 900, 2100)]).get(0)!;
    expect(first.delay.max).toBe(400);
    expect(first.delay.p99).toBe(390);
    expect(first.delay.min).toBe(1);
    expect(first.delay.mean).toBeCloseTo((200 + 5 + 10) / 3);
    expect(first.elu).toBeCloseTo(900 / 3000);
    const second = w.collect([reading(0, 4000, 30, 28, 1900, 2100)]).get(0)!;
    expect(second.delay.max).toBe(30);
    expect(second.elu).toBe(1);
  });

  it('a collection with no new window repeats the last one; a thread that is gone is forgotten', () => {
    const w = createLoopWindows();
    w.collect([reading(4, 1000, 50, 40, 10, 90)]);
    const again = w.collect([reading(4, 1000, 50, 40, 10, 90)]).get(4)!;
    expect(again).toEqual({ delay: reading(4, 1000, 50, 40, 10, 90).delay, elu: 0.5 });
    expect(w.collect([]).size).toBe(0);
    expect(w.collect([reading(4, 1000, 50, 40, 10, 90)]).get(4)?.delay.max).toBe(50);
  });

  it('no reading of a thread before its first window: nothing to show', () => {
    const w = createLoopWindows();
    expect(w.collect([reading(1, 5, 0, 0, 0, 0)]).size).toBe(0);
  });
});
