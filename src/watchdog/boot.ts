// The watchdog worker's entry (dist/watchdog/boot.cjs): loads its code (dist/watchdog/worker.cjs) through
// V8's code cache (code-cache.ts). The watchdog is terminated, not exited, when the process ends, so a
// cache to write is written as soon as its start has run (the functions that start compiled). It was
// written 300 ms later, with the first ticks' functions too: the processes of a node:test suite end
// sooner, so none wrote it and each compiled the watchdog again (~5 ms of CPU more to start it; a cache
// written at once loads as fast, measured on Node 26).
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { loadBundle } from '../code-cache.js';

try {
  const { mainExecArgv } = workerData as { mainExecArgv?: string[] };
  const { save } = loadBundle(fileURLToPath(new URL('./worker.cjs', import.meta.url)), Array.isArray(mainExecArgv) ? mainExecArgv : []);
  if (save) setImmediate(save);
} catch {
  // Failures stay silent, as they always did in the watchdog: the threads report for themselves.
}
