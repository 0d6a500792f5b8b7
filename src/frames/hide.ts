// The agent's wrappers (the sync and pool APIs, postMessage, the Worker class) are frames on the stack of
// the calls they wrap. An error made during such a call must look as it does without the agent:
// - a wrapper never catches and rethrows (a rethrow moves Node's crash header to the wrapper's line; an
//   error passing through a `finally` keeps V8's original message, so the header stays the app's);
// - while a wrapper runs (around a call that runs no app code), the stack-trace limit is raised by its
//   frames, so the error keeps as many of the app's frames as without the agent;
// - the frames go to Error.prepareStackTrace when a stack is first read (Node's default formatter, or the
//   app's): the property is an accessor that hands whichever it holds the frames without the agent's.
//   The app reads and sets it as before; only its descriptor says it is an accessor.
import { isAgentFile } from './agent-files.js';

/**
 * While a wrapper of ours runs, the stack-trace limit is raised by the number of our frames, so an error
 * thrown through it keeps as many of the app's frames as without us (the filter drops ours).
 * Returns what to give `restoreStackLimit`: the app's limit, or -1 when it was not a finite positive number.
 */
export function raiseStackLimit(ours: number): number {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number' || !(limit > 0) || limit === Infinity) return -1;
  Error.stackTraceLimit = limit + ours;
  (found ?? shared()).raised += ours;
  return limit;
}

/** Puts the app's limit back, unless the app changed it meanwhile. */
export function restoreStackLimit(limit: number, ours: number): void {
  if (limit < 0) return;
  (found ?? shared()).raised -= ours;
  if (Error.stackTraceLimit === limit + ours) Error.stackTraceLimit = limit;
}

/** One filter per realm, whichever copy of the agent's code installs it first, and what it must know. */
const SHARED = Symbol.for('asyncdebug.stackFilter');
interface Shared {
  installed: boolean;
  /** By how much the wrappers running now raised the limit (a stack can be formatted inside one). */
  raised: number;
  /** Names of the builtin functions the agent wrapped that are held under their own name. */
  methods: Set<string>;
}

/** Where Error cannot take it (frozen): this copy's own. */
let local: Shared | null = null;

/** What shared() found: it never changes once found (Error's property is neither writable nor configurable). */
let found: Shared | null = null;

function shared(): Shared {
  if (found) return found;
  const E = Error as unknown as Record<symbol, Shared | undefined>;
  const s = E[SHARED] ?? local;
  if (s) return (found = s);
  local = { installed: false, raised: 0, methods: new Set() };
  try {
    Object.defineProperty(Error, SHARED, { value: local });
  } catch {
    // frozen
  }
  return local;
}

interface CallSiteLike {
  getFileName?(): string | null | undefined;
  getFunctionName?(): string | null;
  getMethodName?(): string | null;
  getTypeName?(): string | null;
}

/**
 * A builtin function the agent wrapped is held by its module under its own name (fs.readFileSync): V8
 * finds a frame's method name on the receiver, which now holds the wrapper, so a call site of the
 * function itself says `getMethodName() === null` where it said its name. Noted here, so the call
 * sites handed to an app's Error.prepareStackTrace say it again (the formatted line is the same either way).
 */
export function noteWrappedMethod(name: string): void {
  shared().methods.add(name);
}

/** A call site of a wrapped builtin, as it was before: its own name is its method name. */
function withMethodName(site: object, name: string): object {
  return new Proxy(site, {
    get(target, key) {
      if (key === 'getMethodName') return () => name;
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function methodNamed(site: unknown): unknown {
  try {
    const s = site as CallSiteLike;
    const file = fileOf(site);
    // called on a receiver (a method call), which V8 no longer finds holding it
    if (!file?.startsWith('node:') || s.getMethodName?.() !== null || s.getTypeName?.() == null) return site;
    const name = s.getFunctionName?.();
    return name && shared().methods.has(name) ? withMethodName(site as object, name) : site;
  } catch {
    return site;
  }
}

function fileOf(site: unknown): string | null {
  try {
    const file = (site as CallSiteLike).getFileName?.();
    return typeof file === 'string' ? file : null;
  } catch {
    return null;
  }
}

const isAgentSite = (site: unknown): boolean => {
  const file = fileOf(site);
  return file !== null && isAgentFile(file);
};
/** Node's own code, or no file (a builtin, native code). */
const isNodeSite = (site: unknown): boolean => {
  const file = fileOf(site);
  return file === null || file.startsWith('node:');
};

/**
 * The frames as V8 gave them, less the agent's (the very array when there are none and nothing to cut).
 * A wrapper raises the limit by its frames, but when Node's own frames above it fill the raised limit
 * the wrapper's frames are not among those captured, and the raise only brought one more of Node's: a
 * trace longer than the app's limit with no frame but Node's and the agent's was captured so, and is
 * cut to the limit, as it would have been without the agent.
 */
export function withoutAgentSites<T>(trace: T): T {
  if (!Array.isArray(trace)) return trace;
  const limit = Error.stackTraceLimit - shared().raised;
  const long = typeof limit === 'number' && limit >= 0 && trace.length > limit;
  const cut = long && trace.every((s) => isNodeSite(s) || isAgentSite(s));
  if (!cut && !trace.some(isAgentSite)) return trace;
  const kept = trace.filter((s) => !isAgentSite(s));
  return (cut ? kept.slice(0, limit) : kept) as T;
}

/**
 * Installs the filter on this thread's Error.prepareStackTrace, once. Left alone when something made it a
 * non-configurable or accessor property already.
 */
export function hideAgentFramesFromStacks(): void {
  const state = shared();
  if (state.installed) return;
  const own = Object.getOwnPropertyDescriptor(Error, 'prepareStackTrace');
  if (own && (!own.configurable || !('value' in own))) return;
  /** What the app (or Node, at start) put there; it is what the getter hands out, filtered. */
  let current: unknown = own?.value;
  /** Node's own formatter prints the same line either way: its call sites need no method names. */
  const nodeDefault = own?.value;
  const filters = new WeakMap<Function, Function>();
  const inner = new WeakMap<Function, Function>();
  const filterOf = (fn: Function): Function => {
    let f = filters.get(fn);
    if (!f) {
      f = function (this: unknown, error: unknown, trace: unknown): unknown {
        const sites = withoutAgentSites(trace);
        return fn.call(this, error, fn === nodeDefault || !Array.isArray(sites) || shared().methods.size === 0 ? sites : sites.map(methodNamed));
      };
      Object.defineProperty(f, 'name', { value: fn.name });
      Object.defineProperty(f, 'length', { value: fn.length });
      filters.set(fn, f);
      inner.set(f, fn);
    }
    return f;
  };
  try {
    Object.defineProperty(Error, 'prepareStackTrace', {
      configurable: true,
      enumerable: own?.enumerable ?? false,
      get: () => (typeof current === 'function' ? filterOf(current) : current),
      // Code that saved the property and puts it back gives back the filter: its function is kept.
      set(this: unknown, value: unknown) {
        if (this !== Error) {
          // a subclass of Error set its own, as it would have without the accessor
          Object.defineProperty(this, 'prepareStackTrace', { value, writable: true, enumerable: true, configurable: true });
          return;
        }
        current = typeof value === 'function' ? (inner.get(value) ?? value) : value;
      },
    });
    state.installed = true;
  } catch {
    // a frozen Error: the agent's frames may show in stacks thrown through its wrappers
  }
}
