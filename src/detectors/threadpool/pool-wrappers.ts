// The wrappers of the pool APIs (apis.ts): each call is submitted to the ledger (ledger.ts) as it is made
// and completed when its work is done, without changing what the app sees. The wrapper is on the stack
// only while the call is made (frames/hide.ts keeps it out of the app's stacks); nothing of the agent's
// is on the stack of the app's callback or in its promise's chain. How a completion is seen, without
// wrapping the callback (an extra frame, and V8's `[as callback]` lost) or awaiting the promise (an extra
// async frame, and the app's async frames lost: V8 follows a promise chain only through a promise with a
// single reaction):
// - fs and dns make a request object that Node lists among the thread's active requests
//   (`process._getActiveRequests()`); the one the call made is the new last one. Node calls its
//   `oncomplete` when the work is done: that property becomes, until then, a getter that puts the
//   function back as it was (so the frame keeps its name) and completes the call. An fs.promises
//   request has no `oncomplete`: Node settles the request's own promise (not the app's), which gets
//   one more reaction;
// - crypto makes no such request: the app's callback is handed to Node in a Proxy whose `apply` trap is
//   Reflect.apply itself (no frame), looked up through a getter that completes the call. (Not for APIs
//   that keep the callback as a property of the object they call it on, zlib's and dns's: there V8 names
//   the frame `[as cb]` only if the property holds the very function);
// - zlib's calls (and fs calls made of several requests where no request is left to see) are not
//   seen completing: they are chains of requests, not counted as filling the pool, and a wait of theirs
//   ends when the counts say so.
import { hideAgentFramesFromStacks, raiseStackLimit, restoreStackLimit } from '../../frames/hide.js';
import { isWrapped, replaceFunction, wrappedMark } from '../builtins.js';
import { putBackLater } from '../wrap-sync.js';
import type { PoolApi } from './apis.js';
import type { ApiCalls, PoolCall, PoolLedger, PoolSite } from './ledger.js';

const WRAPPED = wrappedMark('threadpool');
/** On the stack while the original runs: the wrapper and `submitted`. */
const OUR_FRAMES = 2;

type Completion = 'request' | 'callback' | 'unseen';

/** How this API's completion is seen (the comment above says why). */
function completionOf(a: PoolApi): Completion {
  if (a.api.startsWith('crypto.')) return 'callback';
  if (a.api.startsWith('zlib.')) return 'unseen';
  return 'request';
}

const activeRequests = (): unknown[] | null => {
  const list = (process as unknown as { _getActiveRequests?: () => unknown[] })._getActiveRequests;
  if (typeof list !== 'function') return null;
  try {
    return list.call(process);
  } catch {
    return null;
  }
};

/** Wraps one pool API; returns how to unwrap, or null when it is no function or wrapped already. */
export function wrapPoolApi<S extends PoolSite>(a: PoolApi, ledger: PoolLedger<S>): (() => void) | null {
  const original = a.owner[a.key] as Function;
  if (typeof original !== 'function' || isWrapped(original, WRAPPED)) return null;
  hideAgentFramesFromStacks();
  const calls: ApiCalls<S> = { api: a.api, calls: 0, last: null };
  const { composite, owner, key } = a;
  const callback = a.style === 'callback';
  const completion = completionOf(a);
  // V8 names a method `[as key]` only when the receiver holds the very function called (zlib.gzip is
  // `asyncBufferWrapper`): the original is in place while it runs (after a throw, until the next turn).
  const swap = original.name !== key;
  const wrapper = function (this: unknown): unknown {
    const limit = raiseStackLimit(OUR_FRAMES);
    if (swap) owner[key] = original;
    let threw = true;
    try {
      // eslint-disable-next-line prefer-rest-params
      const result = submitted(this, arguments as unknown as unknown[]);
      threw = false;
      return result;
    } finally {
      restoreStackLimit(limit, OUR_FRAMES);
      if (swap) {
        if (threw) putBackLater(owner, key, original, wrapper);
        else owner[key] = wrapper;
      }
    }
  };
  // No catch-and-rethrow here: the app's uncaught error must point where Node threw it.
  const submitted = (self: unknown, args: unknown[]): unknown => {
    const last = args.length - 1;
    // A callback API called without its callback (a bad call, or a sync form like randomBytes(n)).
    if (callback && typeof args[last] !== 'function') return original.apply(self, args);
    let call: PoolCall<S>;
    try {
      call = ledger.submit(calls, composite, wrapper);
    } catch {
      return original.apply(self, args);
    }
    if (completion === 'callback') args[last] = completingCallback(ledger, call, args[last] as Function);
    const before = completion === 'request' ? activeRequests() : null;
    let sent = false;
    try {
      const result = original.apply(self, args);
      sent = true;
      if (completion === 'request' && !(before && watchNewRequest(before.length, ledger, call)) && !composite) unsent(ledger, call);
      return result;
    } finally {
      if (!sent) unsent(ledger, call); // a bad argument: nothing went to the pool
    }
  };
  return replaceFunction(owner, key, original, wrapper, WRAPPED);
}

/** The request the call just made, if it made one: its completion completes the call. */
function watchNewRequest<S extends PoolSite>(before: number, ledger: PoolLedger<S>, call: PoolCall<S>): boolean {
  try {
    const after = activeRequests();
    if (!after || after.length <= before) return false;
    const req = after[after.length - 1];
    if (typeof req !== 'object' || req === null) return false;
    return watchOncomplete(req, ledger, call) || watchRequestPromise(req, ledger, call);
  } catch {
    return false;
  }
}

/** `oncomplete` becomes a getter until Node reads it to call it; it then is the plain property again. */
function watchOncomplete<S extends PoolSite>(req: object, ledger: PoolLedger<S>, call: PoolCall<S>): boolean {
  const own = Object.getOwnPropertyDescriptor(req, 'oncomplete');
  if (!own || !('value' in own) || typeof own.value !== 'function' || !own.configurable) return false;
  const putBack = (value: unknown) => Object.defineProperty(req, 'oncomplete', { ...own, value });
  Object.defineProperty(req, 'oncomplete', {
    configurable: true,
    enumerable: own.enumerable,
    get() {
      putBack(own.value);
      complete(ledger, call);
      return own.value;
    },
    // Node gave the request its next step: the call's first step is done.
    set(value: unknown) {
      putBack(value);
      complete(ledger, call);
    },
  });
  return true;
}

/** An fs.promises request: Node settles its own promise, which the app never sees. */
function watchRequestPromise<S extends PoolSite>(req: object, ledger: PoolLedger<S>, call: PoolCall<S>): boolean {
  const p = (req as { promise?: unknown }).promise;
  if (!(p instanceof Promise)) return false;
  const done = () => complete(ledger, call);
  p.then(done, done);
  return true;
}

/** Completes a call as Node looks up how to call the Proxy: the trap it finds calls the app's callback. */
class CallbackCompletion<S extends PoolSite> {
  constructor(
    private readonly ledger: PoolLedger<S>,
    private readonly call: PoolCall<S>,
  ) {}

  get apply(): typeof Reflect.apply {
    complete(this.ledger, this.call);
    return Reflect.apply;
  }
}

/** The app's callback, as Node will call it: no frame of ours, same receiver and arguments. */
function completingCallback<S extends PoolSite>(ledger: PoolLedger<S>, call: PoolCall<S>, cb: Function): Function {
  return new Proxy(cb, new CallbackCompletion(ledger, call) as ProxyHandler<Function>);
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
