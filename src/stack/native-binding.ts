// Loads @sentry-internal/node-native-stacktrace's prebuilt binary directly (the package's JS entry
// pulls node-abi and detect-libc at start-up, which we do not need: process.versions.modules is the ABI).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { builtin } from '../lazy-builtin.js';

export interface NativeFrame {
  function: string;
  filename: string;
  lineno: number;
  colno: number;
}

export interface NativeStackTrace {
  /**
   * Registers the calling thread under `name` (its threadId), and lists it in getThreadsLastSeen().
   * With `storage`, each read of the thread also serializes that AsyncLocalStorage's store of the
   * interrupted code (`asyncState`, JSON; only where the store is built on AsyncContextFrame).
   */
  registerThread(name: string, storage?: { asyncLocalStorage: object }): void;
  threadPoll(enableLastSeen?: boolean, state?: object): void;
  captureStackTrace(): Record<string, { frames: NativeFrame[]; asyncState?: string }>;
  /** The registered threads that polled at least once, by name. */
  getThreadsLastSeen(): Record<string, number>;
}

/**
 * The binding as the agent uses it: a thread registers and polls once, so the reader's list of threads
 * (getThreadsLastSeen) shows it until Node frees the thread (stack/native-engine.ts reads that list).
 */
function withListedRegistration(binding: NativeStackTrace): NativeStackTrace {
  return {
    registerThread(name, storage) {
      if (storage) (binding.registerThread as unknown as (s: object, n: string) => void)(storage, name); // the binding takes (storage, name)
      else binding.registerThread(name);
      binding.threadPoll(true);
    },
    threadPoll: (enableLastSeen, state) => binding.threadPoll(enableLastSeen, state),
    captureStackTrace: () => binding.captureStackTrace(),
    getThreadsLastSeen: () => binding.getThreadsLastSeen(),
  };
}

let cached: NativeStackTrace | null | undefined;

/** Environment data (inherited by every worker made after it is set): the binding's resolved file. */
const NATIVE_FILE_KEY = 'asyncdebug.nativeStackTraceFile';

export function loadNativeStackTrace(): NativeStackTrace | null {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  // The binding's file as the first thread that loaded it found it: a worker then loads it without
  // resolving the package again (~1 M instructions per worker: node_modules lookups, package.json).
  const threads = builtin<typeof import('node:worker_threads')>('worker_threads');
  try {
    const known = threads.getEnvironmentData(NATIVE_FILE_KEY);
    if (typeof known === 'string') {
      cached = withListedRegistration(require(known) as NativeStackTrace);
      return cached;
    }
  } catch {
    // resolved below
  }
  try {
    const dir = join(dirname(require.resolve('@sentry-internal/node-native-stacktrace/package.json')), 'lib');
    const { platform, arch } = process;
    const abi = process.versions.modules;
    const candidates = platform === 'linux'
      ? [`${platform}-${arch}-glibc-${abi}`, `${platform}-${arch}-musl-${abi}`]
      : [`${platform}-${arch}-${abi}`];
    for (const id of candidates) {
      try {
        const file = join(dir, `stack-trace-${id}.node`);
        cached = withListedRegistration(require(file) as NativeStackTrace);
        try {
          threads.setEnvironmentData(NATIVE_FILE_KEY, file);
        } catch {
          // each worker resolves it again
        }
        return cached;
      } catch {
        // not this libc or ABI: try the next, then the package's own loader
      }
    }
    cached = withListedRegistration(require('@sentry-internal/node-native-stacktrace') as NativeStackTrace);
    return cached;
  } catch {
    cached = null; // the watchdog falls back to the inspector
    return null;
  }
}
