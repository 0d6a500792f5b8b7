// Which span was active when a blocking callback ran, with no async hook: the app's own context
// manager's `with` (every `context.with`, `startActiveSpan`, every callback an instrumentation binds,
// the request handler instrumentation-http runs) is wrapped to note, in a small ring, the context
// entered and when it was entered and left. A main-thread block is then parented to the innermost
// entered span in which the loop stayed blocked for half the block or for the block threshold, whichever
// is less (a block starts at the loop's last turn: what ran in the same turn before the callback, slow on
// a loaded machine, is part of it, so "most of the block" alone would drop the parent there). A block in an async continuation (after an
// `await`) runs outside any `with`: then the spans' own lifetimes decide, but only when the spans
// open across the block all belong to one trace (with concurrent requests it is unknowable).
// Only in the main thread, and only while the otel reporter runs there.
// Before all that, the request: where request naming is on (request-state.ts), the first server span
// entered while a request's store is current is that request's, and its ids go into the store; a block
// whose reads found the request (`request.spanId`) is that span's child, with overlapping requests too.
import type { Context, ContextManager, Span, SpanContext } from '@opentelemetry/api';
import type { BlockRequest, Finding } from '../finding.js';
import { currentRequest } from '../request-state.js';

/** The part of @opentelemetry/api this needs (the app's copy, or ours). */
export interface ContextApi {
  context: { active(): Context };
  trace: { getSpan(ctx: Context): Span | undefined; setSpan(ctx: Context, span: Span): Context; setSpanContext?(ctx: Context, spanContext: SpanContext): Context };
  ROOT_CONTEXT: Context;
}

/** A block's parent: its context, and the parent span's times (epoch ms) where known, to keep the block inside. */
export interface Parent {
  context: Context;
  startMs?: number;
  endMs?: number;
}

/** Server spans of requests kept by span id (a power of two is not needed: oldest out first). */
const SERVER_SPANS = 1024;
const SPAN_KIND_SERVER = 1;

/** Entries kept (a power of two). */
const RING = 512;
const WRAPPED = Symbol.for('asyncdebug.otel.with');

function hrToMs(t: unknown): number | undefined {
  return Array.isArray(t) && typeof t[0] === 'number' && typeof t[1] === 'number' ? t[0] * 1000 + t[1] / 1e6 : undefined;
}

/** The context manager the API delegates to (ContextAPI keeps it behind a private getter). */
export function activeManager(api: { context: unknown }): ContextManager | undefined {
  const get = (api.context as { _getContextManager?: () => ContextManager })._getContextManager;
  const m = typeof get === 'function' ? get.call(api.context) : undefined;
  if (!m || typeof m.with !== 'function' || m.constructor?.name === 'NoopContextManager') return undefined;
  return m;
}

export interface ContextRing {
  /** Wrap the app's current context manager if it is a new one; true when wrapped now or before. */
  attach(): boolean;
  /** The parent of a block's span (`request`: of its part served to that request). */
  parentFor(finding: Finding, request?: BlockRequest): Parent | undefined;
  detach(): void;
}

/** A span's start and end (epoch ms) as the SDK keeps them (`startTime`, `endTime` when ended). */
function timesOf(span: Span): { startMs?: number; endMs?: number } {
  const s = span as Span & { startTime?: unknown; endTime?: unknown; ended?: boolean };
  const startMs = hrToMs(s.startTime);
  const endMs = s.ended ? hrToMs(s.endTime) : undefined;
  return { ...(startMs !== undefined ? { startMs } : {}), ...(endMs !== undefined ? { endMs } : {}) };
}

/** Notes the request's server span in its store (the first entered while the request's store is current). */
function noteServerSpan(span: Span, servers: Map<string, Span>): void {
  if ((span as { kind?: unknown }).kind !== SPAN_KIND_SERVER) return;
  const request = currentRequest();
  if (!request || request.spanId) return;
  const { traceId, spanId } = span.spanContext();
  request.traceId = traceId;
  request.spanId = spanId;
  servers.set(spanId, span);
  if (servers.size > SERVER_SPANS) servers.delete(servers.keys().next().value as string);
}

/** `slowMs`: the block threshold; a span the loop stayed blocked in for that long is a parent. */
export function createContextRing(api: ContextApi & { context: unknown }, slowMs: number): ContextRing {
  // The ring, in parallel arrays written in place (no allocation per call): the span entered, when
  // (performance.now() ms) it was entered and left (NaN while inside), and a sequence number so that a
  // `with` that outlives its slot does not write into the slot's next owner.
  const spans: Array<Span | undefined> = new Array(RING).fill(undefined);
  const enters = new Float64Array(RING);
  const leaves = new Float64Array(RING);
  const seqs = new Float64Array(RING);
  let next = 0;
  let seq = 0;
  let on = true;
  let wrapped: { manager: ContextManager; own: boolean; original: unknown } | null = null;
  const getSpan = api.trace.getSpan;
  const servers = new Map<string, Span>();

  type With = (this: ContextManager, ...args: unknown[]) => unknown;
  function wrap(manager: ContextManager): void {
    const original = manager.with as unknown as With;
    if ((original as { [WRAPPED]?: true })[WRAPPED]) return;
    const own = Object.prototype.hasOwnProperty.call(manager, 'with');
    const withSpan = function (this: ContextManager, ctx: Context) {
      let span: Span | undefined;
      try {
        span = on && ctx ? getSpan(ctx) : undefined;
      } catch {
        span = undefined;
      }
      // eslint-disable-next-line prefer-rest-params
      if (span === undefined) return original.apply(this, arguments as unknown as unknown[]);
      try {
        noteServerSpan(span, servers);
      } catch {
        // a span of another SDK's shape: parented by the ring alone
      }
      const i = next;
      next = (i + 1) & (RING - 1);
      const mine = ++seq;
      spans[i] = span;
      seqs[i] = mine;
      enters[i] = performance.now();
      leaves[i] = NaN;
      try {
        // eslint-disable-next-line prefer-rest-params
        return original.apply(this, arguments as unknown as unknown[]);
      } finally {
        if (seqs[i] === mine) leaves[i] = performance.now();
      }
    };
    (withSpan as { [WRAPPED]?: true })[WRAPPED] = true;
    manager.with = withSpan as unknown as ContextManager['with'];
    wrapped = { manager, own, original };
  }

  function unwrap(): void {
    if (!wrapped) return;
    const { manager, own, original } = wrapped;
    if ((manager.with as { [WRAPPED]?: true })[WRAPPED]) {
      if (own) manager.with = original as ContextManager['with'];
      else delete (manager as Partial<ContextManager>).with;
    }
    wrapped = null;
  }

  // The span alone, not the context it was entered with (that may carry the SDK's own
  // suppress-tracing flag, when the entry was an exporter's `with`).
  const parentOf = (span: Span): Parent => ({ context: api.trace.setSpan(api.ROOT_CONTEXT, span), ...timesOf(span) });

  /** The request's server span: kept, or made from its ids (times unknown then). */
  const requestParent = (r: BlockRequest | undefined): Parent | undefined => {
    if (!r?.spanId || !r.traceId) return undefined;
    const span = servers.get(r.spanId);
    if (span) return parentOf(span);
    const context = api.trace.setSpanContext?.(api.ROOT_CONTEXT, { traceId: r.traceId, spanId: r.spanId, traceFlags: 1 });
    return context ? { context } : undefined;
  };

  return {
    attach() {
      const manager = activeManager(api as { context: unknown });
      if (!manager) return false;
      if (wrapped?.manager === manager) return true;
      unwrap();
      wrap(manager);
      return true;
    },
    parentFor(f, request) {
      if (f.kind !== 'block') return undefined;
      // The request the block's reads found: its server span, whatever else overlapped it.
      const byRequest = requestParent(request ?? f.request);
      if (byRequest || f.threadId !== 0) return byRequest;
      // The block's interval on the ring's clock (performance.now()), mapped now.
      const at = performance.now();
      const start = f.time - (Date.now() - at);
      const end = start + Math.max(f.durationMs, 1);
      const enough = Math.min((end - start) / 2, Math.max(slowMs, 1));
      // 1. The innermost `with` the block ran in (for `enough` of it).
      let best = -1;
      for (let i = 0; i < RING; i++) {
        if (spans[i] === undefined) continue;
        const leave = Number.isNaN(leaves[i]!) ? at : leaves[i]!;
        const overlap = Math.min(leave, end) - Math.max(enters[i]!, start);
        if (overlap >= enough && (best < 0 || enters[i]! > enters[best]!)) best = i;
      }
      if (best >= 0) return parentOf(spans[best]!);
      // 2. A continuation: the spans open across the block, if they are all one trace's.
      const offset = performance.timeOrigin;
      const open = new Set<Span>();
      for (const span of spans) if (span) open.add(span);
      let trace: string | undefined;
      let inner: { span: Span; start: number } | undefined;
      for (const span of open) {
        const s = span as Span & { startTime?: unknown; endTime?: unknown; ended?: boolean };
        const spanStartEpoch = hrToMs(s.startTime);
        if (spanStartEpoch === undefined) continue;
        const spanStart = spanStartEpoch - offset;
        const spanEnd = s.ended ? (hrToMs(s.endTime) ?? offset + at) - offset : at;
        const overlap = Math.min(spanEnd, end) - Math.max(spanStart, start);
        if (overlap < enough) continue;
        const id = span.spanContext().traceId;
        if (trace !== undefined && trace !== id) return undefined;
        trace = id;
        if (!inner || spanStart > inner.start) inner = { span, start: spanStart };
      }
      return inner ? parentOf(inner.span) : undefined;
    },
    detach() {
      on = false;
      unwrap();
      spans.fill(undefined);
      servers.clear();
    },
  };
}
