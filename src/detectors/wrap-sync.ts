// Wraps one synchronous function of a builtin (or Atomics.wait) so that a detector sees each call,
// without changing what the app sees: an error thrown through the wrapper keeps every app frame and
// loses the agent's (the stack limit is raised by three while it runs), V8 still names a method
// `[as key]`, and a call Node makes inside another wrapped call (readFileSync's openSync, readSync,
// closeSync) runs straight through.
import { hideAgentFrames, raiseStackLimit, restoreStackLimit } from '../frames/hide.js';
import { isWrapped, replaceFunction } from './builtins.js';

/**
 * What the detector does with one call: it must call `original.apply(self, args)` itself (once), and
 * may throw. `args` is the call's `arguments` (not copied).
 */
export type OnSyncCall = (original: Function, self: unknown, args: unknown[], wrapper: Function) => unknown;

/**
 * Optional, and cheap: whether this call is to be seen at all (it gets the call's first three arguments,
 * read without copying them). A call not seen runs straight through, without `arguments` ever being
 * made into an object: most calls of a sync-heavy loop are counted, not timed.
 */
export type ShouldObserve = (a0: unknown, a1: unknown, a2: unknown) => boolean;

/** Wrapped calls in progress on this thread, over every detector that uses this module. */
let inner = 0;

/** Returns how to unwrap, or null when `mark` says this function is wrapped already. */
export function wrapSyncFunction(owner: Record<string, unknown>, key: string, mark: symbol, onCall: OnSyncCall, observe?: ShouldObserve): (() => void) | null {
  const original = owner[key] as Function;
  if (isWrapped(original, mark)) return null;
  // V8 names a method `[as key]` only when the receiver holds the very function called.
  const swap = original.name !== key;
  // The observed path, a function of its own: `arguments` escapes only here, so the wrapper passes its
  // own on with apply (V8 then makes no arguments object) and calls not observed allocate nothing.
  const observed = function (this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    return onCall(original, this, arguments as unknown as unknown[], wrapper);
  };
  const wrapper = function (this: unknown): unknown {
    // Three frames of ours: this wrapper, `observed` and the detector's callback.
    const limit = raiseStackLimit(3);
    if (swap) owner[key] = original;
    const nested = inner > 0;
    inner++;
    try {
      // eslint-disable-next-line prefer-rest-params
      if (nested || (observe && !observe(arguments[0], arguments[1], arguments[2]))) return original.apply(this, arguments);
      // eslint-disable-next-line prefer-rest-params
      return (observed as Function).apply(this, arguments);
    } catch (err) {
      hideAgentFrames(err);
      throw err;
    } finally {
      inner--;
      restoreStackLimit(limit, 3);
      if (swap) owner[key] = wrapper;
    }
  };
  return replaceFunction(owner, key, original, wrapper, mark);
}
