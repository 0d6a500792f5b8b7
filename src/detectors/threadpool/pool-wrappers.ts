// The wrappers of the pool APIs (apis.ts): each call is submitted to the ledger (ledger.ts) as it is made
// and completed when its work is done, without changing what the app sees. The wrapper is on the stack
// only while the call is made (frames/hide.ts keeps it out of the app's stacks); nothing of the agent's
// is on the stack of the app's callback or in its promise's chain. How a completion is seen, without
// wrapping the callback (an extra frame, and V8's `[as callback]` lost) or awaiting the promise (an extra
// async frame, and the app's async frames lost: V8 follows a promise chain only through a promise with a
// single reaction):
// - a callback goes to Node in a Proxy whose `apply` trap is Reflect.apply itself (no frame), looked up
//   through a getter that completes the call: same receiver, arguments and stack. Not where Node keeps
//   the callback as a property of the object it calls it on (dns's request, zlib's stream, Node 26's
//   readFile job): V8 names the frame `[as callback]` only if the property holds the very function;
// - dns makes a request object Node lists among the thread's active requests
//   (`process._getActiveRequests()`, the newest last): its `oncomplete` becomes, until Node reads it to
//   call it, a getter that puts the function back as it was and completes the call. An fs.promises
//   request has no `oncomplete`: Node settles the request's own promise (not the app's), which gets one
//   more reaction. The list costs a walk of the thread's requests (a call with 100 in flight took twice
//   as long), so an fs.promises call is not counted as filling the pool, only judged as waiting for it,
//   as a call made of several requests (readFile, zlib's) is: seen completing only while it waits (its
//   first request's completion says it started), else not at all.
import { hideAgentFramesFromStacks, raiseStackLimit, restoreStackLimit } from '../../frames/hide.js';
import { isWrapped, replaceFunction, wrappedMark } from '../builtins.js';
import { putBackLater } from '../wrap-sync.js';
import type { PoolApi } from './apis.js';
import type { ApiCalls, PoolCall, PoolLedger, PoolSite } from './ledger.js';

const WRAPPED = wrappedMark('threadpool');
/** On the stack while the original runs: the wrapper and `submitted`. */
const OUR_FRAMES = 2;

/** How a call's completion is seen (the comment above says why). */
type Completion = 'callback' | 'request' | 'unseen';

function completionOf(a: PoolApi, counted: boolean): Completion {
  if (a.api.startsWith('dns.')) return 'request';
  return counted ? 'callback' : 'unseen';
}

/** Whether the API's calls count as filling the pool (they must then be seen completing, each). */
function countsAsFilling(a: PoolApi): boolean {
  return !a.composite && (a.style === 'callback' || a.api.startsWith('dns.'));
}

/** Requests already taken for a call: one the app's call did not make is never taken twice. */
const taken = new WeakSet<object>();

/** The kinds of request a call can make: dns's lookups, or any of fs's. */
const DNS_REQUEST = /^Get(AddrInfo|NameInfo)ReqWrap$/;
const FS_REQUEST = /^FSReq/;

/**
 * The list of the thread's requests is made whole at each look (Node asks each request for its owner):
 * with 400 readFiles in flight, a look at each of them cost the main thread more than the app's own
 * work. A call made of requests is looked at only while the list is short, else one in every
 * length / CHEAP_LIST of them (the others are judged by the shared counts alone, as they are when no
 * request is found), so a look costs each call about CHEAP_LIST entries at most.
 */
const CHEAP_LIST = 16;
let listLength = 0;
let skipped = 0;

function mayLookAtRequests(): boolean {
  if (listLength <= CHEAP_LIST || ++skipped * CHEAP_LIST >= listLength) {
    skipped = 0;
    return true;
  }
  return false;
}

/** The request the call just made: the newest the thread has, of its kind, if no call took it already. */
function newestRequest(kind: RegExp): object | null {
  const list = (process as unknown as { _getActiveRequests?: () => unknown[] })._getActiveRequests;
  if (typeof list !== 'function') return null;
  try {
    const all = list.call(process);
    listLength = all.length;
    const req = all[all.length - 1];
    if (typeof req !== 'object' || req === null || taken.has(req) || !kind.test(req.constructor?.name ?? '')) return null;
    taken.add(req);
    return req;
  } catch {
    return null;
  }
}

/** Wraps one pool API; returns how to unwrap, or null when it is no function or wrapped already. */
export function wrapPoolApi<S extends PoolSite>(a: PoolApi, ledger: PoolLedger<S>): (() => void) | null {
  const original = a.owner[a.key] as Function;
  if (typeof original !== 'function' || isWrapped(original, WRAPPED)) return null;
  hideAgentFramesFromStacks();
  const calls: ApiCalls<S> = { api: a.api, calls: 0, last: null };
  const { owner, key } = a;
  const callback = a.style === 'callback';
  // Not counted as filling: judged only as waiting (the ledger's `composite`).
  const composite = !countsAsFilling(a);
  const completion = completionOf(a, !composite);
  const kind = a.api.startsWith('dns.') ? DNS_REQUEST : FS_REQUEST;
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
    let sent = false;
    try {
      const result = original.apply(self, args);
      sent = true;
      // A call made of requests, waiting for the pool: its first request says when it started.
      const look = completion === 'request' || (composite && !call.resolved && mayLookAtRequests());
      if (look && !watchRequest(newestRequest(kind), ledger, call) && !composite) unsent(ledger, call);
      return result;
    } finally {
      if (!sent) unsent(ledger, call); // a bad argument: nothing went to the pool
    }
  };
  return replaceFunction(owner, key, original, wrapper, WRAPPED);
}

/** The call's request completes it: through its `oncomplete`, or its own promise (fs.promises). */
function watchRequest<S extends PoolSite>(req: object | null, ledger: PoolLedger<S>, call: PoolCall<S>): boolean {
  if (!req) return false;
  try {
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
