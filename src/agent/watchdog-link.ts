// The main thread's link to the watchdog worker (where the block watcher and the findings hub run):
// started with the agent, and asked for every other thread's findings only once something in the main
// thread wants them (a message event costs a block on Node 22+ the first time, so not before).
import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import type { Registry } from '../protocol/registry.js';
import { spawnWatchdog } from '../watchdog/spawn.js';
import { absolutizeExecArgv } from './propagate.js';

export interface WatchdogLink {
  /** From now on the hub sends every other thread's findings to `receive` (the first call only). */
  forward(receive: (finding: Finding) => void): void;
  stop(): void;
}

/**
 * Started now, while the app's modules load: on a busy machine a worker takes 100-300 ms to boot, and a
 * watchdog started later (at the first loop turn) missed the stacks of early blocks in CI. Not waited
 * for: waiting until it watches cost every process ~60 ms of start-up here. A gap the watchdog joins
 * late has its unread beginning counted as start-up (the block watcher), and a gap it never saw is
 * counted, not reported (detectors/block/heartbeat.ts). Findings wait in the rings until the hub is up.
 */
export function startWatchdog(config: Config, intervalMs: number, registry: Registry): WatchdogLink | null {
  absolutizeExecArgv(process.execArgv);
  const worker = spawnWatchdog(config, intervalMs, registry);
  if (!worker) {
    registry.markHubGone();
    return null;
  }
  let forwarding = false;
  return {
    forward(receive) {
      if (forwarding) return;
      forwarding = true;
      registry.sendFindingsToMain();
      worker.on('message', receive);
      // Listening refs the worker's port again: the agent must keep nothing alive, subscribed or not.
      worker.unref();
    },
    stop() {
      void worker.terminate().catch(() => {});
    },
  };
}
