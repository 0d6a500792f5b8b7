// The wrappers of the pool APIs (apis.ts): each call is submitted to the ledger (ledger.ts) as it is
// made and completed when its callback is called or its promise settles, without changing what the app
// sees. One wrapper for both styles; per call it makes the ledger's call record and, for a callback
// call, the callback that completes it (one closure, made in a function of its own so that a promise
// call allocates no context for it).
import { isWrapped, replaceFunction, wrappedMark } from '../builtins.js';
import type { PoolApi } from './apis.js';
import type { ApiCalls, PoolCall, PoolLedger, PoolSite } from './ledger.js';

const WRAPPED = wrappedMark('threadpool');

/** Wraps one pool API; returns how to unwrap, or null when it is no function or wrapped already. */
export function wrapPoolApi<S extends PoolSite>(a: PoolApi, ledger: PoolLedger<S>): (() => void) | null {
  const original = a.owner[a.key] as Function;
  if (typeof original !== 'function' || isWrapped(original, WRAPPED)) return null;
  const calls: ApiCalls<S> = { api: a.api, calls: 0, last: null };
  const composite = a.composite;
  const callback = a.style === 'callback';
  const wrapper = function (this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as unknown[];
    const last = args.length - 1;
    // A callback API called without its callback (a bad call, or a sync form like randomBytes(n)).
    if (callback && typeof args[last] !== 'function') return original.apply(this, args);
    let call: PoolCall<S>;
    try {
      call = ledger.submit(calls, composite, wrapper);
    } catch {
      return original.apply(this, args);
    }
    if (callback) args[last] = completing(ledger, call, args[last] as Function);
    // Not catch-and-rethrow: the app's uncaught error must point where Node threw it.
    let sent = false;
    try {
      const result = original.apply(this, args);
      sent = true;
      return callback ? result : asyncdebugPoolPromise(result as Promise<unknown>, ledger, call);
    } finally {
      if (!sent) unsent(ledger, call); // a bad argument: nothing went to the pool
    }
  };
  return replaceFunction(a.owner, a.key, original, wrapper, WRAPPED);
}

/** The app's callback, completing the call first. */
function completing<S extends PoolSite>(ledger: PoolLedger<S>, call: PoolCall<S>, cb: Function): Function {
  // Named for the one frame it adds under the app's callback in a stack trace.
  return function asyncdebugPoolCallback(this: unknown): unknown {
    complete(ledger, call);
    // eslint-disable-next-line prefer-rest-params
    return cb.apply(this, arguments);
  };
}

// An async function, not .then(): the app's await chain (and async stack traces) go through it,
// and a rejection nobody handles stays unhandled, as it was.
async function asyncdebugPoolPromise<S extends PoolSite>(p: Promise<unknown>, ledger: PoolLedger<S>, call: PoolCall<S>): Promise<unknown> {
  try {
    return await p;
  } finally {
    complete(ledger, call);
  }
}

function complete<S extends PoolSite>(ledger: PoolLedger<S>, call: PoolCall<S>): void {
  try {
    ledger.complete(call);
  } catch {
    // never into the app
  }
}

function unsent<S extends PoolSite>(ledger: PoolLedger<S>, call: PoolCall<S>): void {
  try {
    ledger.unsent(call);
  } catch {
    // never into the app
  }
}
