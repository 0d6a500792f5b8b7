// Debug mode: where the callback that blocks the loop was scheduled (asyncio's "created at"). No async
// hook: setTimeout, setInterval and setImmediate are wrapped to keep, for each timer, the stack of its
// scheduling call, captured but not formatted (V8 formats it only if it is read: ~4 us per call). The
// callbacks themselves are not wrapped, so the app's stacks inside them are unchanged.
//
// During a block, the watchdog (callback-probe.ts) calls the probe (probe.ts) in this thread through the
// inspector's Runtime.evaluate, which V8 runs at an interrupt inside the blocking callback: no debugger,
// no pause.
import { syncBuiltinESMExports } from 'node:module';
import type { Detector, DetectorContext } from '../detector.js';
import { wrappedMark } from '../builtins.js';
import { builtin } from '../../lazy-builtin.js';
import { wrapSyncFunction } from '../wrap-sync.js';
import { installProbe, type ScheduledAt } from './probe.js';

const MARK = wrappedMark('scheduling');
/** Frames kept of a scheduling call: enough to reach the app's code through a library or two. */
const DEPTH = 12;
const TIMERS = ['setTimeout', 'setInterval', 'setImmediate'] as const;

export function startSchedulingDetector({ slot }: Pick<DetectorContext, 'slot'>): Detector {
  const scheduledAt: ScheduledAt = new WeakMap();
  const unwraps: (() => void)[] = [];
  const remember = (original: Function, self: unknown, args: unknown[], wrapper: Function): unknown => {
    const timer = original.apply(self, args) as object;
    const limit = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = DEPTH;
      const holder: { stack?: unknown } = {};
      Error.captureStackTrace(holder, wrapper);
      if (timer && typeof timer === 'object') scheduledAt.set(timer, holder);
    } catch {
      // no origin for this one
    } finally {
      Error.stackTraceLimit = limit;
    }
    return timer;
  };
  const globals = globalThis as unknown as Record<string, unknown>;
  // The global and the `timers` module hold the very same functions: both places are rewired.
  const timers = builtin('timers');
  for (const name of TIMERS) {
    const original = globals[name];
    const unwrap = wrapSyncFunction(globals, name, MARK, remember);
    if (!unwrap) continue;
    unwraps.push(unwrap);
    if (timers[name] === original) {
      const wrapped = globals[name];
      timers[name] = wrapped;
      unwraps.push(() => {
        if (timers[name] === wrapped) timers[name] = original;
      });
    }
  }
  // `import { setTimeout } from 'node:timers'` sees the wrapper too.
  syncBuiltinESMExports();
  const removeProbe = installProbe(slot, scheduledAt);
  return {
    name: 'scheduling',
    counts: () => ({}),
    atExit() {},
    stop() {
      for (const u of unwraps.reverse()) u();
      syncBuiltinESMExports();
      removeProbe();
    },
  };
}
