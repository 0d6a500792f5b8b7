// The probe: a function this thread keeps under a global symbol, which the watchdog calls through the
// inspector (Runtime.evaluate) while the thread is blocked. V8 runs it at an interrupt inside the
// blocking callback, so its own stack continues into the interrupted frames, and
// executionAsyncResource() is the resource whose callback is running. It answers, as JSON: which kind
// of callback it is (a timer, an immediate, an HTTP request, a promise continuation ...), where it was
// scheduled (timers), and the heartbeat generation, so that a late answer is not taken for a later
// block. It never throws and leaves Error.prepareStackTrace and stackTraceLimit as they were.
import { executionAsyncResource } from 'node:async_hooks';
import { GEN, type ThreadSlot } from '../../watchdog/registry.js';

export type ScheduledAt = WeakMap<object, { stack?: unknown }>;

export const PROBE_KEY = Symbol.for('asyncdebug.probe');
/** What the watchdog evaluates in the blocked thread. */
export const PROBE_EXPRESSION = `(() => { const p = globalThis[Symbol.for('asyncdebug.probe')]; return typeof p === 'function' ? p() : null; })()`;

export type RawRow = [file: string | null, line: number | null, column: number | null, fn: string | null];

export interface ProbeAnswer {
  gen: number;
  /** `timer`, `interval`, `immediate`, `http-request`, `promise`, `next-tick`, or `io`. */
  type: string;
  /** What scheduled it (`setTimeout` …), the request (`GET /path`), or the resource (`FSReqCallback` …). */
  api?: string;
  /** Where it was scheduled, innermost first. */
  scheduled: RawRow[];
  /** The outermost frame of the interrupted stack: the watchdog checks it is the block's callback. */
  outer?: RawRow;
}

const rowsOf = (_error: Error, sites: NodeJS.CallSite[]): RawRow[] =>
  sites.map((s) => [s.getFileName() ?? null, s.getLineNumber(), s.getColumnNumber(), s.getFunctionName()]);

/** Reads a captured holder's frames (formatted now, with our formatter) or the current stack. */
function rows(holder?: { stack?: unknown }): RawRow[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = rowsOf as typeof Error.prepareStackTrace;
    if (holder) return Array.isArray(holder.stack) ? (holder.stack as RawRow[]) : [];
    Error.stackTraceLimit = 200;
    const stack = new Error().stack as unknown;
    return Array.isArray(stack) ? (stack as RawRow[]) : [];
  } catch {
    return [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** The kind of callback, from the outermost frames of the interrupted stack and the resource. */
function classify(stack: RawRow[], resource: unknown, scheduledAt: ScheduledAt): Omit<ProbeAnswer, 'gen'> {
  const has = (fn: string, file: string) => stack.some((r) => r[3] === fn && (r[0] ?? '').startsWith(file));
  const name = (resource as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  const scheduled = resource && typeof resource === 'object' ? scheduledAt.get(resource) : undefined;
  if (has('listOnTimeout', 'node:internal/timers')) {
    const repeat = (resource as { _repeat?: unknown } | null)?._repeat;
    return { type: repeat ? 'interval' : 'timer', api: repeat ? 'setInterval' : 'setTimeout', scheduled: rows(scheduled) };
  }
  if (has('processImmediate', 'node:internal/timers')) return { type: 'immediate', api: 'setImmediate', scheduled: rows(scheduled) };
  if (has('processTicksAndRejections', 'node:internal/process/task_queues')) {
    // Node runs the nextTick queue itself, then V8's promise jobs through runMicrotasks().
    return { type: stack.some((r) => r[3] === 'runMicrotasks') ? 'promise' : 'next-tick', scheduled: [] };
  }
  if (name === 'HTTPServerAsyncResource') {
    const req = (resource as { socket?: { _httpMessage?: { req?: { method?: string; url?: string } } } }).socket?._httpMessage?.req;
    // The handler itself runs from the parser; a promise continuation after it runs from V8 with the
    // same resource, and no parser frame below it.
    // The path without its query string: no tokens in a report, and one name per route.
    if (has('parserOnIncoming', 'node:_http_server')) return { type: 'http-request', ...(req ? { api: `${req.method} ${String(req.url).split('?')[0]}` } : {}), scheduled: [] };
  }
  // Below the callback, only frames V8 or C++ called: a promise continuation drained after a callback,
  // or an I/O callback Node called from C++.
  const outer = stack[stack.length - 1];
  if (!outer || !(outer[0] ?? '').startsWith('node:')) return { type: 'promise', scheduled: [] };
  return { type: 'io', ...(name && name !== 'Object' ? { api: name } : {}), scheduled: [] };
}

export function installProbe(slot: ThreadSlot, scheduledAt: ScheduledAt): () => void {
  const probe = function asyncdebugProbe(): string | null {
    try {
      const stack = rows();
      // The probe's own frames, and the evaluated expression's: up to the first interrupted frame.
      let first = stack.findIndex((r) => r[3] === 'asyncdebugProbe') + 1;
      while (first < stack.length && !stack[first]?.[0]) first++;
      const interrupted = stack.slice(first);
      const outer = interrupted[interrupted.length - 1];
      const answer: ProbeAnswer = { gen: Atomics.load(slot.i32, GEN), ...classify(interrupted, executionAsyncResource(), scheduledAt), ...(outer ? { outer } : {}) };
      return JSON.stringify(answer);
    } catch {
      return null;
    }
  };
  Object.defineProperty(globalThis, PROBE_KEY, { value: probe, configurable: true, enumerable: false, writable: false });
  return () => {
    if ((globalThis as Record<symbol, unknown>)[PROBE_KEY] === probe) delete (globalThis as Record<symbol, unknown>)[PROBE_KEY];
  };
}
