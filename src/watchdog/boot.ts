// The watchdog worker's entry (dist/watchdog/boot.cjs): loads its code (dist/watchdog/worker.cjs) through
// V8's code cache (code-cache.ts). The watchdog is terminated, not exited, when the process ends, so a
// cache to write is written once it has run a while (the functions its start and first ticks use are
// compiled by then); a process that ends sooner leaves it to the next one.
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { loadBundle } from '../code-cache.js';

const SAVE_AFTER_MS = 300;

try {
  const { mainExecArgv } = workerData as { mainExecArgv?: string[] };
  const { save } = loadBundle(fileURLToPath(new URL('./worker.cjs', import.meta.url)), Array.isArray(mainExecArgv) ? mainExecArgv : []);
  if (save) setTimeout(save, SAVE_AFTER_MS);
} catch {
  // Failures stay silent, as they always did in the watchdog: the threads report for themselves.
}
