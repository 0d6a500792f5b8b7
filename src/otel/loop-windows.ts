// The loop gauges "since the last collection": every thread publishes its loop delay and utilization
// for one window of about a second (agent/loop-health.ts); an exporter collects every 15 s or 60 s. A
// gauge that showed the last window only missed what happened in the others (a spike in second 3 of a
// 15 s scrape). So every window published since the last collection is kept here (the reporter reads
// the threads' health every WINDOW_READ_MS, more often than they publish, and at each collection), and
// the collection gets: the least and the most delay of those windows, the mean of their means, the
// highest of each percentile (the p99 of the worst second: the union's p99 is never above it), and the
// utilization over the same span from the cumulative active and idle time. A collection that comes
// before any new window (a second reader right after the first) gets the last window again.
import type { LoopDelay, ThreadHealth } from '../thread-health.js';

/** How often the reporter reads the threads' health between collections (they publish about every second). */
export const WINDOW_READ_MS = 250;

export interface SinceCollection {
  delay: LoopDelay;
  /** Utilization since the last collection, 0..1. */
  elu: number;
}

interface ThreadWindows {
  /** The publish time of the last window taken in. */
  seen: number;
  /** Windows since the last collection (null: none yet). */
  acc: { n: number; min: number; max: number; meanSum: number; p50: number; p90: number; p99: number } | null;
  last: SinceCollection | null;
  /** Cumulative active and idle ms at the last collection. */
  activeMs: number;
  idleMs: number;
}

export interface LoopWindows {
  /** Takes in the windows the threads published since the last look. */
  note(threads: readonly ThreadHealth[]): void;
  /** The numbers since the last collection, per thread id (after taking in the newest windows); starts the next span. */
  collect(threads: readonly ThreadHealth[]): Map<number, SinceCollection>;
}

/** The slot holds only the stamp of the thread's start until its first publish. */
const published = (h: ThreadHealth) => h.activeMs > 0 || h.idleMs > 0;

export function createLoopWindows(): LoopWindows {
  const byThread = new Map<number, ThreadWindows>();

  const stateOf = (h: ThreadHealth): ThreadWindows => {
    let s = byThread.get(h.threadId);
    if (!s) byThread.set(h.threadId, (s = { seen: -1, acc: null, last: null, activeMs: 0, idleMs: 0 }));
    return s;
  };

  const note = (threads: readonly ThreadHealth[]) => {
    for (const h of threads) {
      if (!published(h)) continue;
      const s = stateOf(h);
      if (h.time === s.seen) continue;
      s.seen = h.time;
      const d = h.delay;
      const a = s.acc;
      if (!a) s.acc = { n: 1, min: d.min, max: d.max, meanSum: d.mean, p50: d.p50, p90: d.p90, p99: d.p99 };
      else {
        a.n++;
        a.min = Math.min(a.min, d.min);
        a.max = Math.max(a.max, d.max);
        a.meanSum += d.mean;
        a.p50 = Math.max(a.p50, d.p50);
        a.p90 = Math.max(a.p90, d.p90);
        a.p99 = Math.max(a.p99, d.p99);
      }
      s.last = { delay: { ...d }, elu: h.elu };
    }
  };

  return {
    note,
    collect(threads) {
      note(threads);
      const out = new Map<number, SinceCollection>();
      for (const h of threads) {
        const s = byThread.get(h.threadId);
        if (!s?.last) continue;
        const a = s.acc;
        const active = h.activeMs - s.activeMs;
        const total = active + (h.idleMs - s.idleMs);
        const elu = a && total > 0 ? Math.min(1, Math.max(0, active / total)) : s.last.elu;
        const delay: LoopDelay = a ? { min: a.min, max: a.max, mean: a.meanSum / a.n, p50: a.p50, p90: a.p90, p99: a.p99 } : s.last.delay;
        out.set(h.threadId, { delay, elu });
        s.acc = null;
        s.activeMs = h.activeMs;
        s.idleMs = h.idleMs;
      }
      // A thread whose slot went to another is gone for good (thread ids are never reused).
      const live = new Set(threads.map((h) => h.threadId));
      for (const id of byThread.keys()) if (!live.has(id)) byThread.delete(id);
      return out;
    },
  };
}
