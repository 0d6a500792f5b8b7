// The thread side of loop health: the thread's own loop delay and utilization, published into its
// registry slot about once a second, so the hub (and the main thread) read every thread's health
// without a message. The same numbers, over the thread's whole life, make its exit summary.
import { createRequire } from 'node:module';
import type { EventLoopUtilization, RecordableHistogram } from 'node:perf_hooks';
import { H_ACTIVE_MS, H_ELU, H_IDLE_MS, H_MAX, H_MEAN, H_MIN, H_P50, H_P90, H_P99, H_TIME, type ThreadSlot } from '../watchdog/registry.js';

// The global `performance` is Node's (typed here as the web's, which lacks eventLoopUtilization).
const nodePerformance = performance as unknown as import('node:perf_hooks').Performance;

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

// The global `performance` has what is needed but histograms: node:perf_hooks (a ms of start-up) is
// loaded at the first heartbeat, after the entry module ran.
const histogram = (): RecordableHistogram => (createRequire(import.meta.url)('node:perf_hooks') as typeof import('node:perf_hooks')).createHistogram();

export function startHealthPublisher(slot: ThreadSlot, intervalMs: number): HealthPublisher {
  let windowH: RecordableHistogram | null = null;
  let totalH: RecordableHistogram | null = null;
  const started = nodePerformance.eventLoopUtilization();
  let last: EventLoopUtilization = started;
  let lastBeat = performance.now();
  let lastPublish = lastBeat;

  const publish = () => {
    const window = (windowH ??= histogram());
    const total = (totalH ??= histogram());
    const now = nodePerformance.eventLoopUtilization();
    const recent = nodePerformance.eventLoopUtilization(now, last);
    last = now;
    const any = window.count > 0;
    slot.f64[H_MIN] = any ? ms(window.min) : 0;
    slot.f64[H_MAX] = any ? ms(window.max) : 0;
    slot.f64[H_MEAN] = any ? ms(window.mean) : 0;
    slot.f64[H_P50] = any ? ms(window.percentile(50)) : 0;
    slot.f64[H_P90] = any ? ms(window.percentile(90)) : 0;
    slot.f64[H_P99] = any ? ms(window.percentile(99)) : 0;
    slot.f64[H_ELU] = Math.round(recent.utilization * 1000) / 1000;
    const life = nodePerformance.eventLoopUtilization(now, started);
    slot.f64[H_ACTIVE_MS] = Math.round(life.active);
    slot.f64[H_IDLE_MS] = Math.round(life.idle);
    slot.f64[H_TIME] = Date.now();
    if (any) total.add(window);
    window.reset();
  };
  // Seen by health readers from the start; the numbers come with the first publish.
  slot.f64[H_TIME] = Date.now();
  return {
    beat() {
      const now = performance.now();
      const late = now - lastBeat - intervalMs;
      lastBeat = now;
      (windowH ??= histogram()).record(Math.max(1, Math.round(late * 1e6)));
      if (now - lastPublish >= PUBLISH_MS) {
        lastPublish = now;
        publish();
      }
    },
    lifetime() {
      const window = (windowH ??= histogram());
      const total = (totalH ??= histogram());
      if (window.count > 0) total.add(window);
      window.reset();
      const any = total.count > 0;
      return {
        p50: any ? ms(total.percentile(50)) : 0,
        p99: any ? ms(total.percentile(99)) : 0,
        max: any ? ms(total.max) : 0,
        elu: Math.round(nodePerformance.eventLoopUtilization(started).utilization * 1000) / 1000,
      };
    },
  };
}
