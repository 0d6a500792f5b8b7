// Wraps one synchronous function of a builtin (or Atomics.wait) so that a detector sees each call,
// without changing what the app sees: an error thrown through the wrapper keeps every app frame and
// loses the agent's (the stack limit is raised by two while it runs), V8 still names a method
// `[as key]`, and a call Node makes inside another wrapped call (readFileSync's openSync, readSync,
// closeSync) is marked `nested`, for the detector to pass straight through.
import { hideAgentFrames } from '../frames/hide.js';
import { isWrapped, replaceFunction } from './builtins.js';

/**
 * What the detector does with one call: it must call `original.apply(self, args)` itself (once), and
 * may throw. `args` is the call's `arguments` (not copied).
 */
export type OnSyncCall = (original: Function, self: unknown, args: unknown[], wrapper: Function, nested: boolean) => unknown;

/** Wrapped calls in progress on this thread, over every detector that uses this module. */
let inner = 0;

/** Returns how to unwrap, or null when `mark` says this function is wrapped already. */
export function wrapSyncFunction(owner: Record<string, unknown>, key: string, mark: symbol, onCall: OnSyncCall): (() => void) | null {
  const original = owner[key] as Function;
  if (isWrapped(original, mark)) return null;
  // V8 names a method `[as key]` only when the receiver holds the very function called.
  const swap = original.name !== key;
  // `arguments` with apply, not rest parameters: V8 passes them on without allocating an array, and
  // a sync-heavy loop otherwise pays for one array per call in GC.
  const wrapper = function (this: unknown): unknown {
    const limit = Error.stackTraceLimit;
    const raise = typeof limit === 'number' && limit > 0 && limit !== Infinity;
    // Two frames of ours: this wrapper and the detector's callback.
    if (raise) Error.stackTraceLimit = limit + 2;
    if (swap) owner[key] = original;
    const nested = inner > 0;
    inner++;
    try {
      // eslint-disable-next-line prefer-rest-params
      return onCall(original, this, arguments as unknown as unknown[], wrapper, nested);
    } catch (err) {
      hideAgentFrames(err);
      throw err;
    } finally {
      inner--;
      if (raise && Error.stackTraceLimit === limit + 2) Error.stackTraceLimit = limit;
      if (swap) owner[key] = wrapper;
    }
  };
  return replaceFunction(owner, key, original, wrapper, mark);
}
