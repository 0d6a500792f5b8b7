// Primary engine: @sentry-internal/node-native-stacktrace interrupts the registered isolates and reads
// their stacks without a debugger (0.3-1 ms here), also inside an infinite loop. One read interrupts
// every registered thread and waits for each to answer, up to 5 s: a thread that has left JavaScript
// for good (a worker that exited: Node drops it from the reader's list only when it frees the thread,
// some time after its last JavaScript ran) never answers, and every read made meanwhile waited the
// whole 5 s, while the blocks of the other threads went by unread. So a read is made only while every
// thread the reader knows is one the registry says still runs (protocol/registry.ts runningThreads);
// the reader's list of threads is its `getThreadsLastSeen()`, which lists a thread once it polled
// (native-binding.ts polls at registration).
import type { RawFrame } from '../frames/frames.js';
import type { Registry } from '../protocol/registry.js';
import type { StackEngine } from './engine.js';
import type { NativeStackTrace } from './native-binding.js';

/**
 * A thread gone from the registry but still in the reader's list is waited for this long: Node frees a
 * worker within milliseconds of its exit; one it holds longer is read through (a read may then wait).
 */
export const LEAVING_MS = 1000;

export function createNativeEngine(native: NativeStackTrace, registry: Registry | null = null, now: () => number = Date.now): StackEngine {
  const running = new Set<number>();
  /** Threads in the reader's list the registry no longer runs, and since when. */
  const leaving = new Map<string, number>();
  return {
    name: 'native',
    canCapture: () => true,
    ready() {
      if (!registry || typeof native.getThreadsLastSeen !== 'function') return true;
      let known: Record<string, number>;
      try {
        known = native.getThreadsLastSeen();
      } catch {
        return true;
      }
      registry.runningThreads(running);
      const t = now();
      let wait = false;
      for (const name of Object.keys(known)) {
        if (running.has(Number(name))) {
          leaving.delete(name);
          continue;
        }
        const since = leaving.get(name) ?? t;
        leaving.set(name, since);
        if (t - since < LEAVING_MS) wait = true;
      }
      for (const name of leaving.keys()) if (!(name in known)) leaving.delete(name);
      return !wait;
    },
    async capture(threadId) {
      const all = native.captureStackTrace();
      const thread = all[String(threadId)];
      if (!thread) return null;
      return thread.frames.map(
        (f): RawFrame => ({ function: f.function, file: f.filename, line: f.lineno, column: f.colno }),
      );
    },
    dispose() {},
  };
}
