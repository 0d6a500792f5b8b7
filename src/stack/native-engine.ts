// Primary engine: @sentry-internal/node-native-stacktrace interrupts the registered isolates and reads
// their stacks without a debugger (0.3-1 ms here), also inside an infinite loop. One read interrupts
// every thread the reader lists, from threads of its own, and waits for each to answer, up to 5 s.
// Two things follow, both from a thread that leaves (a worker that exits, or is terminated: Node takes
// it off the reader's list only when it frees it, some time after its last JavaScript ran):
// - it never answers: every read made meanwhile waited the whole 5 s, while the blocks of the other
//   threads went by unread (40 workers blocking in turn gave 5 to 40 findings);
// - it may be freed while the reader's threads are about to interrupt it: the process crashed.
// So a read begins only while every thread the reader lists is one the registry says still runs, and
// a thread about to be freed says so first and waits for a read already begun (protocol/registry.ts
// beginRead, leave). The reader's list is its getThreadsLastSeen(), which lists a thread once it
// polled (native-binding.ts polls at registration).
// And since one read answers for every thread, a read just made for one thread answers for another
// whose block began before it: the watcher, reading one thread after another, reads once, and a block
// that began during a slow read of another thread's is named by that read.
import type { RawFrame } from '../frames/frames.js';
import type { Registry } from '../protocol/registry.js';
import type { StackEngine } from './engine.js';
import type { NativeStackTrace } from './native-binding.js';

export interface NativeEngineOptions {
  /** The process's registry: which threads still run and which leave (null: read whenever asked). */
  registry?: Registry | null;
  /** A read that ended this long ago or less answers for another thread (ms; 0: never). */
  freshMs?: number;
  /** Right before each read: wakes the threads that would answer it late (protocol/wake.ts wakeResting). */
  beforeRead?: () => void;
  now?: () => number;
}

/** The last read of every thread: when it was asked for and answered, and each thread's stack. */
interface Read {
  askedAt: number;
  answeredAt: number;
  threads: ReturnType<NativeStackTrace['captureStackTrace']>;
}

function framesOf(read: Read, threadId: number): RawFrame[] | null {
  const thread = read.threads[String(threadId)];
  if (!thread) return null;
  return thread.frames.map((f): RawFrame => ({ function: f.function, file: f.filename, line: f.lineno, column: f.colno }));
}

/** Whether every thread the reader lists still runs; the threads that left its list are told so. */
function everyListedRuns(native: NativeStackTrace, registry: Registry, running: Set<number>): boolean {
  let listed: Record<string, number>;
  try {
    listed = native.getThreadsLastSeen();
  } catch {
    return false;
  }
  for (const id of registry.leavingThreads()) if (!(String(id) in listed)) registry.leaveDone(id);
  registry.runningThreads(running);
  for (const name of Object.keys(listed)) if (!running.has(Number(name))) return false;
  return true;
}

export function createNativeEngine(native: NativeStackTrace, options: NativeEngineOptions = {}): StackEngine {
  const { registry = null, freshMs = 0, now = Date.now, beforeRead = () => {} } = options;
  let last: Read | null = null;
  const running = new Set<number>();
  const mayRead = () => registry === null || everyListedRuns(native, registry, running);
  return {
    name: 'native',
    canCapture: () => true,
    async capture(threadId, since) {
      // A thread that did not answer the last read is listed with no frames: read it anew.
      if (last && since !== undefined && last.askedAt >= since && now() - last.answeredAt <= freshMs && last.threads[String(threadId)]?.frames.length) {
        return framesOf(last, threadId);
      }
      if (registry && !registry.beginRead(mayRead)) return undefined;
      try {
        beforeRead();
        const askedAt = now();
        const threads = native.captureStackTrace();
        last = { askedAt, answeredAt: now(), threads };
      } finally {
        registry?.endRead();
      }
      return framesOf(last, threadId);
    },
    stateOf(threadId) {
      const state = last?.threads[String(threadId)]?.asyncState;
      return typeof state === 'string' ? state : undefined;
    },
    dispose() {},
  };
}
