// The in-thread half of naming the request behind a block: each HTTP request Node's server starts
// enters a fresh state in the thread's request store (request-state.ts), which every callback the
// request schedules inherits; the framework's route pattern is added once its router matched one.
// - Node publishes `http.server.request.start` right before it emits `request`: the store entered
//   there is the handler's, and that of everything the handler schedules.
// - express (4 and 5) sets `req.route` when a route matches: a setter on IncomingMessage's prototype,
//   installed at the first request, notes it (and defines the same own property the assignment would).
// - fastify publishes `tracing:fastify.request.handler:start` with the route's pattern.
// Never the query string, headers or body; nothing here holds a request object. The route is written
// into the state of the request being served (the store current where the router runs).
import type * as Diagnostics from 'node:diagnostics_channel';
import { builtin } from '../../lazy-builtin.js';
import { currentRequest, MAX_ROUTE_CHARS, requestStore, type RequestState } from '../../request-state.js';

export interface RequestNaming {
  /** The store the native stack reader is told to read (registerThread). */
  store: ReturnType<typeof requestStore>;
  stop(): void;
}

const REQUEST_START = 'http.server.request.start';
const FASTIFY_HANDLER = 'tracing:fastify.request.handler:start';

/** The path of a request's URL: no query string, no fragment, bounded. */
export function pathOf(url: unknown): string {
  if (typeof url !== 'string' || url.length === 0) return '/';
  // indexOf twice beats a regular expression here: this runs once per request.
  const q = url.indexOf('?');
  const h = url.indexOf('#');
  const end = q < 0 ? h : h < 0 ? q : Math.min(q, h);
  const path = end < 0 ? url : url.slice(0, end);
  return path.length > MAX_ROUTE_CHARS ? path.slice(0, MAX_ROUTE_CHARS) : path || '/';
}

/** express: the route's path under the router's mount (`baseUrl`); a RegExp or list of paths as written. */
export function expressRoute(baseUrl: unknown, path: unknown): string | undefined {
  const p = typeof path === 'string' ? path : path instanceof RegExp || Array.isArray(path) ? String(path) : undefined;
  if (p === undefined) return undefined;
  const base = typeof baseUrl === 'string' ? baseUrl : '';
  return (base + p).slice(0, MAX_ROUTE_CHARS) || '/';
}

export function startRequestNaming(): RequestNaming {
  // Loaded here, not with the agent: Node 20 and 22 load it only when asked (and name no request by default).
  const diagnostics = builtin<typeof Diagnostics>('diagnostics_channel');
  const store = requestStore();
  let seq = 0;
  let setterTried = false;

  // express assigns `req.route = route` once a route matched: a setter on the prototype that request
  // objects inherit from sees it. It defines the own data property the assignment would have made,
  // so the app reads and writes `req.route` as before.
  const installRouteSetter = (req: object) => {
    const isIncomingMessage = (p: object) => Object.prototype.hasOwnProperty.call(p, 'constructor') && (p as { constructor?: { name?: string } }).constructor?.name === 'IncomingMessage';
    let proto = Object.getPrototypeOf(req) as object | null;
    while (proto && !isIncomingMessage(proto)) proto = Object.getPrototypeOf(proto) as object | null;
    if (!proto || Object.prototype.hasOwnProperty.call(proto, 'route')) return;
    Object.defineProperty(proto, 'route', {
      configurable: true,
      enumerable: false,
      get: undefined,
      set(this: object, value: unknown) {
        try {
          Object.defineProperty(this, 'route', { value, writable: true, enumerable: true, configurable: true });
        } catch {
          return; // a frozen request: the assignment would not have added it either
        }
        const state = currentRequest();
        if (!state || !value || typeof value !== 'object') return;
        const route = expressRoute((this as { baseUrl?: unknown }).baseUrl, (value as { path?: unknown }).path);
        if (route) state.route = route;
      },
    });
  };

  const onRequest = (message: unknown) => {
    try {
      const req = (message as { request?: { method?: unknown; url?: unknown } } | null)?.request;
      if (!req || typeof req !== 'object') return;
      if (!setterTried) {
        setterTried = true;
        installRouteSetter(req);
      }
      const state: RequestState = { id: ++seq, method: typeof req.method === 'string' ? req.method.slice(0, 16) : 'GET', path: pathOf(req.url) };
      store.enterWith(state);
    } catch {
      // never into the app's request
    }
  };
  const onFastifyHandler = (message: unknown) => {
    try {
      const url = (message as { route?: { url?: unknown } } | null)?.route?.url;
      const state = currentRequest();
      if (state && typeof url === 'string') state.route = url.slice(0, MAX_ROUTE_CHARS);
    } catch {
      // never into the app's request
    }
  };
  diagnostics.subscribe(REQUEST_START, onRequest);
  diagnostics.subscribe(FASTIFY_HANDLER, onFastifyHandler);

  let stopped = false;
  return {
    store,
    stop() {
      if (stopped) return;
      stopped = true;
      diagnostics.unsubscribe(REQUEST_START, onRequest);
      diagnostics.unsubscribe(FASTIFY_HANDLER, onFastifyHandler);
      // The setter stays (a request may be mid-route); once no request enters a state it only defines the property.
    },
  };
}
