// Which HTTP request a thread's running code serves, so that a block can name it. Each thread that
// serves requests keeps one AsyncLocalStorage whose store is a small plain object per request (no
// request object, no headers, no query string): the watchdog reads it from the blocked thread
// through the native stack reader, which serializes the store of the interrupted continuation
// (Node 24+, where AsyncLocalStorage is built on AsyncContextFrame and costs nothing per callback),
// and debug mode's probe reads it in the thread on every Node line.
import { AsyncLocalStorage } from 'node:async_hooks';
import { hasNodeFlag } from './node-options.js';

/** What a request's store holds. Plain data properties only: it is read at an interrupt, where a getter must not run. */
export interface RequestState {
  /** Unique in its thread: two overlapping requests to one route are told apart. */
  id: number;
  method: string;
  /** The path, without query string or fragment. */
  path: string;
  /** The framework's route pattern (`/users/:id`), once the router matched one. */
  route?: string;
  /** The app's OpenTelemetry server span of this request, once it was entered. */
  traceId?: string;
  spanId?: string;
}

/** Longest path or route kept: a report line stays bounded whatever the app's URLs are. */
export const MAX_ROUTE_CHARS = 200;

// One store per thread, under a global symbol: the agent's CommonJS bundle and the ES modules it
// loads later (reporters) each have their own copy of this module.
const STORE_KEY = Symbol.for('asyncdebug.request-store');
type Holder = { [STORE_KEY]?: AsyncLocalStorage<RequestState> };

/** The thread's store (made on first use). */
export function requestStore(): AsyncLocalStorage<RequestState> {
  const holder = globalThis as Holder;
  let store = holder[STORE_KEY];
  if (!store) {
    store = new AsyncLocalStorage<RequestState>();
    Object.defineProperty(globalThis, STORE_KEY, { value: store, configurable: true, enumerable: false, writable: false });
  }
  return store;
}

/** The request the running code serves, if request naming is on in this thread. */
export function currentRequest(): RequestState | undefined {
  try {
    return (globalThis as Holder)[STORE_KEY]?.getStore();
  } catch {
    return undefined;
  }
}

/**
 * Whether AsyncLocalStorage is built on AsyncContextFrame here: Node 24 and later unless turned off,
 * Node 22 when turned on. Only there is a store cheap enough for default mode (elsewhere it enables
 * async hooks for every callback), and only there can the native reader see it.
 */
export function contextFramesOn(version = process.versions.node): boolean {
  const major = Number(version.split('.')[0]);
  if (major >= 24) return !hasNodeFlag('--no-async-context-frame');
  return major === 22 && hasNodeFlag('--experimental-async-context-frame');
}

const text = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined);

/** A request state as read back from another thread (JSON), checked field by field; undefined when not one. */
export function requestStateFrom(value: unknown): RequestState | undefined {
  if (typeof value === 'string') {
    if (value.length === 0 || value.length > 4096) return undefined;
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const method = text(v.method, 16);
  const path = text(v.path, MAX_ROUTE_CHARS);
  if (typeof v.id !== 'number' || !method || !path) return undefined;
  const state: RequestState = { id: v.id, method, path };
  const route = text(v.route, MAX_ROUTE_CHARS);
  if (route) state.route = route;
  const traceId = text(v.traceId, 32);
  const spanId = text(v.spanId, 16);
  if (traceId && spanId && /^[0-9a-f]{32}$/.test(traceId) && /^[0-9a-f]{16}$/.test(spanId)) {
    state.traceId = traceId;
    state.spanId = spanId;
  }
  return state;
}
