// Starts the process's one watchdog worker from the main thread. It is unref'd (never keeps the process
// alive), gets none of the app's preloads (so neither the agent nor the app's own tools load inside it:
// node-options.ts), and its failures stay silent.
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import { WATCHDOG_MARK } from './marker.js';
import type { Registry } from '../protocol/registry.js';
import type { WatchdogData } from './worker.js';
import { watchdogNodeOptions } from '../node-options.js';

export function spawnWatchdog(config: Config, intervalMs: number, registry: Registry): Worker | null {
  try {
    // A worker given execArgv still parses NODE_OPTIONS from its env: the watchdog's is the process's
    // without its preloads (node-options.ts).
    const { NODE_OPTIONS: nodeOptions, ...env } = process.env;
    const kept = watchdogNodeOptions(nodeOptions);
    if (kept) env.NODE_OPTIONS = kept;
    // mainExecArgv: for boot.cjs's code cache name (the process's V8 flags; the watchdog's own execArgv
    // is empty). Those in NODE_OPTIONS are in the watchdog's own, which the name hashes too (code-cache.ts).
    const mainExecArgv = process.execArgv;
    const data: WatchdogData & { [WATCHDOG_MARK]: true; mainExecArgv: string[] } = { config, intervalMs, registry: registry.buffer, [WATCHDOG_MARK]: true, mainExecArgv };
    // Spelled from dist/ so that it holds both here and inside the bundled agent (dist/agent/). boot.cjs
    // loads worker.cjs through the code cache.
    const worker = new Worker(new URL('../watchdog/boot.cjs', import.meta.url), {
      workerData: data,
      execArgv: [],
      env,
      // Not piped into process.stdout/stderr: that would create handles the app can see. The watchdog
      // writes with writeSync(2) instead.
      stdout: true,
      stderr: true,
      // Small heap caps keep its memory flat; it only reads stacks and writes lines.
      resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 4 },
    });
    worker.on('error', () => {
      // A dead watchdog means no more block findings, never a crash of the app; the threads report
      // for themselves from now on (agent/outbox.ts).
      registry.markHubGone();
    });
    worker.unref();
    return worker;
  } catch {
    return null;
  }
}
