// The thread side of loop health: the thread's own loop delay and utilization, published into its
// registry slot about once a second, so the hub (and the main thread) read every thread's health
// without a message. The same numbers, over the thread's whole life, make its exit summary.
import { createHistogram, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { H_ACTIVE_MS, H_ELU, H_IDLE_MS, H_MAX, H_MEAN, H_MIN, H_P50, H_P90, H_P99, H_TIME, type ThreadSlot } from '../watchdog/registry.js';

export interface HealthPublisher {
  /**
   * Called by the heartbeat (an interval timer of `intervalMs`) each time it runs: how late it ran is
   * the loop's delay (what monitorEventLoopDelay measures with a timer of its own, which this saves).
   */
  beat(): void;
  /** Delay percentiles (ms) and utilization over the thread's whole life, for its summary. */
  lifetime(): { p50: number; p99: number; max: number; elu: number };
}

const PUBLISH_MS = 1000;
const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);

export function startHealthPublisher(slot: ThreadSlot, intervalMs: number): HealthPublisher {
  const window = createHistogram();
  const total = createHistogram();
  const started = performance.eventLoopUtilization();
  let last: EventLoopUtilization = started;
  let lastBeat = performance.now();
  let lastPublish = lastBeat;

  const publish = () => {
    const now = performance.eventLoopUtilization();
    const recent = performance.eventLoopUtilization(now, last);
    last = now;
    const any = window.count > 0;
    slot.f64[H_MIN] = any ? ms(window.min) : 0;
    slot.f64[H_MAX] = any ? ms(window.max) : 0;
    slot.f64[H_MEAN] = any ? ms(window.mean) : 0;
    slot.f64[H_P50] = any ? ms(window.percentile(50)) : 0;
    slot.f64[H_P90] = any ? ms(window.percentile(90)) : 0;
    slot.f64[H_P99] = any ? ms(window.percentile(99)) : 0;
    slot.f64[H_ELU] = Math.round(recent.utilization * 1000) / 1000;
    const life = performance.eventLoopUtilization(now, started);
    slot.f64[H_ACTIVE_MS] = Math.round(life.active);
    slot.f64[H_IDLE_MS] = Math.round(life.idle);
    slot.f64[H_TIME] = Date.now();
    if (any) total.add(window);
    window.reset();
  };
  publish();
  return {
    beat() {
      const now = performance.now();
      const late = now - lastBeat - intervalMs;
      lastBeat = now;
      window.record(Math.max(1, Math.round(late * 1e6)));
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
        p50: any ? ms(total.percentile(50)) : 0,
        p99: any ? ms(total.percentile(99)) : 0,
        max: any ? ms(total.max) : 0,
        elu: Math.round(performance.eventLoopUtilization(started).utilization * 1000) / 1000,
      };
    },
  };
}
