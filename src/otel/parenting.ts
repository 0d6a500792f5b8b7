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
import type { Context, ContextManager, Span } from '@opentelemetry/api';
import type { Finding } from '../finding.js';

/** The part of @opentelemetry/api this needs (the app's copy, or ours). */
export interface ContextApi {
  context: { active(): Context };
  trace: { getSpan(ctx: Context): Span | undefined; setSpan(ctx: Context, span: Span): Context };
  ROOT_CONTEXT: Context;
}

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
  parentFor(finding: Finding): Context | undefined;
  detach(): void;
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
  const parentOf = (span: Span) => api.trace.setSpan(api.ROOT_CONTEXT, span);

  return {
    attach() {
      const manager = activeManager(api as { context: unknown });
      if (!manager) return false;
      if (wrapped?.manager === manager) return true;
      unwrap();
      wrap(manager);
      return true;
    },
    parentFor(f) {
      if (f.threadId !== 0 || f.kind !== 'block') return undefined;
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
    },
  };
}
