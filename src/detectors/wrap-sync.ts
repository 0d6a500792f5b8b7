// Wraps one synchronous function of a builtin (or Atomics.wait) so that a detector sees each call,
// without changing what the app sees (frames/hide.ts says how): an error thrown through the wrapper
// passes through a `finally` only (Node's crash header stays where the error was thrown), keeps every app
// frame and shows none of the agent's; V8 still names a method `[as key]`; and a call Node makes inside
// another wrapped call (readFileSync's openSync, readSync, closeSync) runs straight through.
import { hideAgentFramesFromStacks, raiseStackLimit, restoreStackLimit } from '../frames/hide.js';
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
export type ShouldObserve<C = never> = (a0: unknown, a1: unknown, a2: unknown, context: C) => boolean;

/** Taken before any detector wraps the global timers (debug mode's scheduling detector does). */
const later = setImmediate;

/** Wrapped calls in progress on this thread, over every detector that uses this module. */
let inner = 0;

/** Frames of ours on the stack during a call: the wrapper, and on the observed path `observed` and the
 *  detector's callback. */
const WRAPPER_FRAMES = 1;
const OBSERVED_FRAMES = 2;

/**
 * For a method whose own name is not its key (zlib's gunzipSync is `syncBufferWrapper`): V8 names its
 * frame `[as gunzipSync]` only if the receiver holds the very function when the stack is formatted. The
 * original is in place while it runs; after a throw it stays until the next turn, for the stack the app
 * formats in its catch block or Node prints as the crash (calls made meanwhile through the property
 * are not seen).
 */
export function putBackLater(owner: Record<string, unknown>, key: string, original: Function, wrapper: Function): void {
  const t = later(() => {
    if (owner[key] === original) owner[key] = wrapper;
  });
  t.unref();
}

/** Returns how to unwrap, or null when `mark` says this function is wrapped already. */
/**
 * `observe` gets `context` (the API's own state) as its fourth argument: a detector can then give every
 * API one and the same function (the wrappers share their code and V8's feedback about it: a different
 * closure per API makes V8 throw the wrapper's optimized code away at each new API called).
 */
export function wrapSyncFunction<C = never>(owner: Record<string, unknown>, key: string, mark: symbol, onCall: OnSyncCall, observe?: ShouldObserve<C>, context?: C): (() => void) | null {
  const original = owner[key] as Function;
  if (isWrapped(original, mark)) return null;
  hideAgentFramesFromStacks();
  const swap = original.name !== key;
  // The observed path, a function of its own: `arguments` escapes only here, so the wrapper passes its
  // own on with apply (V8 then makes no arguments object) and calls not observed allocate nothing.
  const observed = function (this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    return onCall(original, this, arguments as unknown as unknown[], wrapper);
  };
  const wrapper = function (this: unknown): unknown {
    const limit = raiseStackLimit(WRAPPER_FRAMES);
    if (swap) owner[key] = original;
    const nested = inner > 0;
    inner++;
    let threw = true;
    try {
      let result: unknown;
      // eslint-disable-next-line prefer-rest-params
      if (nested || (observe && !observe(arguments[0], arguments[1], arguments[2], context as C))) result = original.apply(this, arguments);
      else {
        const more = raiseStackLimit(OBSERVED_FRAMES);
        try {
          // eslint-disable-next-line prefer-rest-params
          result = (observed as Function).apply(this, arguments);
        } finally {
          restoreStackLimit(more, OBSERVED_FRAMES);
        }
      }
      threw = false;
      return result;
    } finally {
      inner--;
      restoreStackLimit(limit, WRAPPER_FRAMES);
      if (swap) {
        if (threw) putBackLater(owner, key, original, wrapper);
        else owner[key] = wrapper;
      }
    }
  };
  return replaceFunction(owner, key, original, wrapper, mark);
}
