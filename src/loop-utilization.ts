// The loop's utilization (the loop-health numbers and the thread-pool detector's clock). The global
// `performance` is Node's, typed here as the web's (no eventLoopUtilization); it is made on first use
// (~2 ms), so it is not touched before the first heartbeat.
import type { EventLoopUtilization, Performance } from 'node:perf_hooks';

export const elu = (...args: EventLoopUtilization[]): EventLoopUtilization =>
  (performance as unknown as Performance).eventLoopUtilization(...args);
