// The thread side of loop health: the thread's own loop delay and utilization, published into its
// registry slot about once a second, so the hub (and the main thread) read every thread's health
// without a message. The same numbers, over the thread's whole life, make its exit summary.
import type { EventLoopUtilization } from 'node:perf_hooks';
import { DelayHistogram } from './delay-histogram.js';
import { elu } from '../loop-utilization.js';
import type { ThreadSlot } from '../protocol/thread-slot.js';
import { monotonicNow, now as wallNow } from '../original.js';

export interface HealthPublisher {
  /**
   * Called by the heartbeat (an interval timer of `intervalMs`) each time it runs: how late it ran is
   * the loop's delay (what monitorEventLoopDelay measures with a timer of its own, which this saves).
   * `unplanned`: a beat of a resting thread, or the one that woke it: no interval to be late against.
   */
  beat(unplanned?: boolean): void;
  /** Delay percentiles (ms) and utilization over the thread's whole life, for its summary. */
  lifetime(): { p50: number; p99: number; max: number; elu: number };
}

const PUBLISH_MS = 1000;
const round2 = (ms: number) => (Number.isFinite(ms) ? Math.round(ms * 100) / 100 : 0);

export function startHealthPublisher(slot: ThreadSlot, intervalMs: number): HealthPublisher {
  const window = new DelayHistogram();
  const total = new DelayHistogram();
  // Utilization counts from the loop's start: the whole life needs no starting point.
  let last: EventLoopUtilization | null = null;
  const startedAt = wallNow();
  let lastBeat = -1;
  // (The monotonic clock's origin is arbitrary: the first publish comes a second after this.)
  let lastPublish = monotonicNow();

  const publish = () => {
    const now = elu();
    const recent = last ? elu(now, last) : now;
    last = now;
    const any = window.count > 0;
    const delay = any
      ? { min: round2(window.min), max: round2(window.max), mean: round2(window.mean), p50: round2(window.percentile(50)), p90: round2(window.percentile(90)), p99: round2(window.percentile(99)) }
      : { min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
    slot.publishHealth(delay, Math.round(recent.utilization * 1000) / 1000, Math.round(now.active), Math.round(now.idle));
    if (any) total.add(window);
    window.reset();
  };
  slot.stampHealth();
  return {
    beat(unplanned = false) {
      const now = monotonicNow();
      const late = lastBeat < 0 ? wallNow() - startedAt - intervalMs : now - lastBeat - intervalMs;
      lastBeat = now;
      if (!unplanned) window.record(late);
      if (now - lastPublish >= PUBLISH_MS) {
        lastPublish = now;
        publish();
      }
    },
    lifetime() {
      if (window.count > 0) total.add(window);
      window.reset();
      const any = total.count > 0;
      return {
        p50: any ? round2(total.percentile(50)) : 0,
        p99: any ? round2(total.percentile(99)) : 0,
        max: any ? round2(total.max) : 0,
        elu: Math.round(elu().utilization * 1000) / 1000,
      };
    },
  };
}
