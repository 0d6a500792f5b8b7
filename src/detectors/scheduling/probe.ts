// The probe: a function this thread keeps under a global symbol, which the watchdog calls through the
// inspector (Runtime.evaluate) while the thread is blocked. V8 runs it at an interrupt inside the
// blocking callback, so its own stack continues into the interrupted frames, and
// executionAsyncResource() is the resource whose callback is running. It answers, as JSON: which kind
// of callback it is (a timer, an immediate, an HTTP request, a promise continuation ...), where it was
// scheduled (timers), and the heartbeat generation, so that a late answer is not taken for a later
// block. It never throws and leaves Error.prepareStackTrace and stackTraceLimit as they were.
import { executionAsyncResource } from 'node:async_hooks';
import type { ThreadSlot } from '../../protocol/thread-slot.js';
import { currentRequest, type RequestState } from '../../request-state.js';

export type ScheduledAt = WeakMap<object, { stack?: unknown }>;

export const PROBE_KEY = Symbol.for('asyncdebug.probe');
/** What the watchdog evaluates in the blocked thread. */
export const PROBE_EXPRESSION = `(() => { const p = globalThis[Symbol.for('asyncdebug.probe')]; return typeof p === 'function' ? p() : null; })()`;

export type RawRow = [file: string | null, line: number | null, column: number | null, fn: string | null];

export interface ProbeAnswer {
  gen: number;
  /** `timer`, `interval`, `immediate`, `http-request`, `promise`, `next-tick`, `async-resource` or `io`. */
  type: string;
  /** What scheduled it (`setTimeout` …), the request (`GET /path`), or the resource (`FSReqCallback` …). */
  api?: string;
  /** Where it was scheduled, innermost first. */
  scheduled: RawRow[];
  /** The outermost frame of the interrupted stack: the watchdog checks it is the block's callback. */
  outer?: RawRow;
  /** The HTTP request the interrupted code serves (request-state.ts), when request naming is on. */
  request?: RequestState;
}

const rowOf = (s: NodeJS.CallSite): RawRow => [s.getFileName() ?? null, s.getLineNumber(), s.getColumnNumber(), s.getFunctionName()];
const rowsOf = (_error: Error, sites: NodeJS.CallSite[]): RawRow[] => sites.map(rowOf);
/**
 * The frames on the thread's stack only: V8 appends a continuation's awaiting callers (`at async f`),
 * which the stack reader never sees, so the outermost frame compared with its reads must not be one.
 */
const syncRowsOf = (_error: Error, sites: NodeJS.CallSite[]): RawRow[] =>
  sites.filter((s) => !(s as { isAsync?: () => boolean }).isAsync?.()).map(rowOf);

/** Formats a stack with our formatter: a captured holder's (formatted only now), or the current one. */
function format(read: () => unknown, rows: typeof rowsOf = rowsOf): RawRow[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = rows as typeof Error.prepareStackTrace;
    Error.stackTraceLimit = 200;
    const stack = read();
    return Array.isArray(stack) ? (stack as RawRow[]) : [];
  } catch {
    return [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

const currentStack = () => format(() => new Error().stack, syncRowsOf);
const scheduledRows = (holder: { stack?: unknown } | undefined) => (holder ? format(() => holder.stack) : []);

/** The functions that call a callback, as they appear below it; the innermost one found says which kind. */
const DISPATCHERS: [fn: string, file: string, kind: string][] = [
  ['runInAsyncScope', 'node:async_hooks', 'async-resource'],
  ['runMicrotasks', '', 'promise'],
  ['listOnTimeout', 'node:internal/timers', 'timer'],
  ['processImmediate', 'node:internal/timers', 'immediate'],
  ['processTicksAndRejections', 'node:internal/process/task_queues', 'next-tick'],
  ['parserOnIncoming', 'node:_http_server', 'http-request'],
];

/** The kind of callback, from the innermost dispatcher below it on the interrupted stack, and the resource. */
function classify(stack: RawRow[], resource: unknown, scheduledAt: ScheduledAt): Omit<ProbeAnswer, 'gen'> {
  const name = (resource as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
  const holder = resource && typeof resource === 'object' ? scheduledAt.get(resource) : undefined;
  let kind = '';
  for (const row of stack) {
    const d = DISPATCHERS.find(([fn, file]) => row[3] === fn && (row[0] ?? '').startsWith(file));
    if (d) {
      kind = d[2];
      break;
    }
  }
  switch (kind) {
    case 'timer': {
      const repeat = (resource as { _repeat?: unknown } | null)?._repeat;
      return { type: repeat ? 'interval' : 'timer', api: repeat ? 'setInterval' : 'setTimeout', scheduled: scheduledRows(holder) };
    }
    case 'immediate':
      return { type: 'immediate', api: 'setImmediate', scheduled: scheduledRows(holder) };
    case 'http-request': {
      const req = (resource as { socket?: { _httpMessage?: { req?: { method?: string; url?: string } } } } | null)?.socket?._httpMessage?.req;
      // The path without its query string: no tokens in a report, and one name per route.
      return { type: 'http-request', ...(req ? { api: `${req.method} ${String(req.url).split('?')[0]}` } : {}), scheduled: [] };
    }
    case 'async-resource':
      return { type: 'async-resource', ...(name && name !== 'Object' ? { api: name } : {}), scheduled: [] };
    case 'promise':
    case 'next-tick':
      return { type: kind, scheduled: [] };
  }
  // A callback Node called from C++ for one of its handles or requests (FSReqCallback, TCPWRAP …): its
  // entry is Node's own code, and the resource is the handle's.
  const outer = stack[stack.length - 1];
  if (outer && (outer[0] ?? '').startsWith('node:') && /(?:Wrap|WRAP|Req[A-Z]\w*|Callback)$/.test(name)) return { type: 'io', api: name, scheduled: [] };
  // Otherwise V8 ran it from its microtask queue, after a callback: a promise continuation (also when the
  // outermost frame is one of Node's own async functions, like the test runner's or the ESM loader's).
  return { type: 'promise', scheduled: [] };
}

export function installProbe(slot: ThreadSlot, scheduledAt: ScheduledAt): () => void {
  const probe = function asyncdebugProbe(): string | null {
    try {
      const stack = currentStack();
      // The probe's own frames, and the evaluated expression's: up to the first interrupted frame.
      let first = stack.findIndex((r) => r[3] === 'asyncdebugProbe') + 1;
      while (first < stack.length && !stack[first]?.[0]) first++;
      const interrupted = stack.slice(first);
      const outer = interrupted[interrupted.length - 1];
      const request = currentRequest();
      const answer: ProbeAnswer = { gen: slot.gen(), ...classify(interrupted, executionAsyncResource(), scheduledAt), ...(outer ? { outer } : {}), ...(request ? { request } : {}) };
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
