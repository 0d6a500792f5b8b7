// The rest sentinel (native/rest-sentinel.c, shipped prebuilt for linux-x64): a native thread of the
// watchdog that calls it back once a resting thread ran: the kernel wakes it when a thread has used a
// little CPU (a timer on that thread's CPU clock: a CPU-bound block is seen within a scheduler tick or
// two), and it reads the resting threads' CPU clocks every `pollMs` for a thread that ran a little and
// then sleeps. Each of its wake-ups costs ~0.05 ms of CPU where the watchdog's JavaScript one cost
// ~0.2-0.3 ms (2-core VM), so the watchdog no longer looks at resting threads itself. Where it does not
// load (another platform, an unusual libc), the watchdog polls them as before (block-watcher.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RestSentinel {
  /** Armed from the thread's CPU time now: a callback once it has run `slackUs` more. False: not watched. */
  watch(kernelThread: number, slackUs: number): boolean;
  unwatch(kernelThread: number): void;
  /**
   * The thread's CPU time now, ms, from its CPU clock (up to date while it runs, where schedstat and
   * getrusage lag by up to a scheduler tick); null when it cannot be read. Loads the binary, does not
   * start the sentinel's thread.
   */
  cpuMs(kernelThread: number): number | null;
  stop(): void;
}

interface Binding {
  start(onRan: () => void, pollMs: number): void;
  watch(tid: number, slackUs: number): boolean;
  unwatch(tid: number): void;
  /** -1: no such thread in this process. Absent from a binary older than this file. */
  cpuMs?(tid: number): number;
  stop(): void;
}

/**
 * The prebuilt binary in this package's own root: the first folder up from this file (dist/watchdog/
 * worker.cjs, dist/detectors/block/…, src/…) that holds a package.json. Never looked for beyond it.
 */
function binaryPath(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    if (!existsSync(join(dir, 'package.json'))) continue;
    const file = join(dir, 'prebuilds', 'linux-x64', 'rest-sentinel.node');
    return existsSync(file) ? file : null;
  }
  return null;
}

/**
 * The sentinel of this thread (the watchdog), or null where it cannot run. Its binary loads and its
 * thread starts at the first watch(): no thread rests in its first second (heartbeat.ts), so a process
 * that ends sooner (a test file's) does not pay for it (~1.5 ms of the watchdog's start). `onRan` runs on
 * this thread's loop (never keeping it alive) after a watched thread ran; calls are coalesced. `pollMs`:
 * how often it reads the watched clocks (the watchdog's own rest poll, block-watcher.ts restPollMs). A
 * binary that does not load leaves every watch() false: the watchdog then polls (block-watcher.ts).
 */
export function startRestSentinel(onRan: () => void, pollMs: number): RestSentinel | null {
  const file = binaryPath();
  if (!file) return null;
  let loaded: Binding | null | undefined;
  let binding: Binding | null | undefined;
  const load = (): Binding | null => {
    if (loaded !== undefined) return loaded;
    try {
      loaded = createRequire(import.meta.url)(file) as Binding;
    } catch {
      loaded = null;
    }
    return loaded;
  };
  const started = (): Binding | null => {
    if (binding !== undefined) return binding;
    binding = null;
    const b = load();
    if (!b) return null;
    try {
      b.start(() => {
        try {
          onRan();
        } catch {
          // the watchdog's own failure: never thrown into its loop
        }
      }, pollMs);
      binding = b;
    } catch {
      // not started: every watch() is false, and the watchdog polls
    }
    return binding;
  };
  return {
    watch: (tid, slackUs) => started()?.watch(tid, slackUs) ?? false,
    unwatch: (tid) => binding?.unwatch(tid),
    cpuMs: (tid) => {
      const ms = load()?.cpuMs?.(tid);
      return typeof ms === 'number' && ms >= 0 ? ms : null;
    },
    stop: () => binding?.stop(),
  };
}
