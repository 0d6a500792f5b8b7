// The rest sentinel (native/rest-sentinel.c, shipped prebuilt for linux-x64): a native thread of the
// watchdog that reads the CPU clocks of resting threads and calls back when one of them ran. With it,
// the watchdog no longer looks at resting threads every half threshold: an idle process costs a native
// wake-up per poll instead of a JavaScript one (~0.05 ms of CPU against ~0.2-0.3 ms on a 2-core VM), and a
// block that starts while its thread rests is seen within a poll. Where it does not load (another
// platform, an unusual libc), the watchdog polls as before (block-watcher.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RestSentinel {
  /** Armed from the thread's CPU time now: a callback once it has run `slackUs` more. False: not watched. */
  watch(kernelThread: number, slackUs: number): boolean;
  unwatch(kernelThread: number): void;
  stop(): void;
}

interface Binding {
  start(onRan: () => void, pollMs: number): void;
  watch(tid: number, slackUs: number): boolean;
  unwatch(tid: number): void;
  stop(): void;
}

/** How often the native thread reads the armed clocks: a resting thread's block is seen this soon. */
export const SENTINEL_POLL_MS = 15;

/** The prebuilt binary, found from this file up (dist/watchdog/worker.cjs, dist/detectors/block/…, src/…). */
function binaryPath(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    const file = join(dir, 'prebuilds', 'linux-x64', 'rest-sentinel.node');
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Starts the sentinel in this thread (the watchdog), or null where it cannot run. `onRan` runs on this
 * thread's loop (never keeping it alive) after a watched thread ran; calls are coalesced.
 */
export function startRestSentinel(onRan: () => void, pollMs: number = SENTINEL_POLL_MS): RestSentinel | null {
  const file = binaryPath();
  if (!file) return null;
  try {
    const binding = createRequire(import.meta.url)(file) as Binding;
    binding.start(() => {
      try {
        onRan();
      } catch {
        // the watchdog's own failure: never thrown into its loop
      }
    }, pollMs);
    return {
      watch: (tid, slackUs) => binding.watch(tid, slackUs),
      unwatch: (tid) => binding.unwatch(tid),
      stop: () => binding.stop(),
    };
  } catch {
    return null;
  }
}
