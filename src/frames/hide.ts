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
  return limit;
}

/** Puts the app's limit back, unless the app changed it meanwhile. */
export function restoreStackLimit(limit: number, ours: number): void {
  if (limit >= 0 && Error.stackTraceLimit === limit + ours) Error.stackTraceLimit = limit;
}

/** One filter per realm, whichever copy of the agent's code installs it first. */
const INSTALLED = Symbol.for('asyncdebug.stackFilter');

interface CallSiteLike {
  getFileName?(): string | null | undefined;
}

function isAgentSite(site: unknown): boolean {
  try {
    const file = (site as CallSiteLike).getFileName?.();
    return typeof file === 'string' && isAgentFile(file);
  } catch {
    return false;
  }
}

/** The frames as V8 gave them, less the agent's (the same array when there are none). */
export function withoutAgentSites<T>(trace: T): T {
  if (!Array.isArray(trace)) return trace;
  for (const site of trace) if (isAgentSite(site)) return trace.filter((s) => !isAgentSite(s)) as T;
  return trace;
}

/**
 * Installs the filter on this thread's Error.prepareStackTrace, once. Left alone when something made it a
 * non-configurable or accessor property already.
 */
export function hideAgentFramesFromStacks(): void {
  const E = Error as unknown as Record<PropertyKey, unknown>;
  if (E[INSTALLED]) return;
  const own = Object.getOwnPropertyDescriptor(Error, 'prepareStackTrace');
  if (own && (!own.configurable || !('value' in own))) return;
  /** What the app (or Node, at start) put there; it is what the getter hands out, filtered. */
  let current: unknown = own?.value;
  const filters = new WeakMap<Function, Function>();
  const inner = new WeakMap<Function, Function>();
  const filterOf = (fn: Function): Function => {
    let f = filters.get(fn);
    if (!f) {
      f = function (this: unknown, error: unknown, trace: unknown): unknown {
        return fn.call(this, error, withoutAgentSites(trace));
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
    Object.defineProperty(Error, INSTALLED, { value: true });
  } catch {
    // a frozen Error: the agent's frames may show in stacks thrown through its wrappers
  }
}
