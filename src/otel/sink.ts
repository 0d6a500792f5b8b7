// Findings and loop health into OpenTelemetry signals: metrics (ours, under asyncdebug.*), a span per
// block and a log record per finding. A finding written again as it goes on (a block, a thread-pool
// saturation: `ongoing`) counts once, with its final numbers. It knows nothing of where the meter,
// tracer and logger come from (the app's global SDK in the main thread, or providers the reporter
// built itself in the watchdog); see src/reporters/otel.ts.
import type { Attributes, BatchObservableResult, Context, Counter, Histogram, Logger, Meter, Observable, ObservableGauge, ObservableCounter, ObservableResult, Tracer } from '@opentelemetry/api';
import type { BlockFinding, BlockRequest, BlockRequestPart, Finding, Frame } from '../finding.js';
import type { Parent } from './parenting.js';
import { kindRow, type KindRow } from '../kinds.js';
import { metThreshold } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import * as S from './semconv.js';
import { createLoopWindows, WINDOW_READ_MS, type LoopWindows } from './loop-windows.js';

/** Distinct code sites that keep their own attributes; every later one is `other` (bounded cardinality). */
export const MAX_SITES = 20;
/** Finding ids remembered for de-duplication (a block's ongoing and final lines, sync-io count updates). */
const MAX_IDS = 10_000;

export interface SinkSignals {
  meter: Meter;
  tracer: Tracer;
  logger: Logger;
  /** The root context of the API copy in use (a span with no parent found starts there). */
  root: Context;
}

export interface SinkOptions {
  /** Every watched thread's loop health now. */
  threads(): readonly ThreadHealth[];
  /**
   * The context a block's span and log record belong to: the server span of the request the block
   * served (`request`: of one part of a block that served several), else the span active when the
   * blocking callback ran; with the parent's times, to keep the block's span inside them.
   */
  parentFor?(finding: Finding, request?: BlockRequest): Parent | undefined;
  maxSites?: number;
}

export interface Sink {
  report(finding: Finding): void;
  /** The threads' health as read now (the hub's tick): the loop windows they published are taken in. */
  note(threads: readonly ThreadHealth[]): void;
  /** Use new signals (the app registered its SDK after the reporter started): instruments are made again. */
  use(signals: SinkSignals): void;
  close(): void;
}

const SECOND = 1000;

/** OpenTelemetry's SeverityNumber of each severity text the kinds table uses. */
const SEVERITY_NUMBER: Record<KindRow['severity'], number> = { INFO: 9, WARN: 13, ERROR: 17 };

export function threadAttributes(threadId: number, threadName: string | undefined): Attributes {
  const attrs: Attributes = { [S.ATTR_THREAD_ID]: threadId };
  const name = threadName ?? (threadId === 0 ? 'main' : undefined);
  if (name) attrs[S.ATTR_THREAD_NAME] = name;
  return attrs;
}

/** The first `max` distinct sites keep their code.* attributes; later ones share `other`. */
export class SiteLimiter {
  private readonly known = new Map<string, Attributes>();
  private readonly other: Attributes = { [S.ATTR_CODE_FILE_PATH]: S.OTHER, [S.ATTR_CODE_LINE_NUMBER]: 0, [S.ATTR_CODE_FUNCTION_NAME]: S.OTHER };
  private readonly none: Attributes = {};
  constructor(private readonly max: number) {}

  attributes(site: Frame | null | undefined): Attributes {
    if (!site) return this.none;
    const key = `${site.file}:${site.line}:${site.function}`;
    const seen = this.known.get(key);
    if (seen) return seen;
    if (this.known.size >= this.max) return this.other;
    const attrs: Attributes = {
      [S.ATTR_CODE_FILE_PATH]: site.file,
      [S.ATTR_CODE_LINE_NUMBER]: site.line,
      [S.ATTR_CODE_FUNCTION_NAME]: site.function || '<anonymous>',
    };
    this.known.set(key, attrs);
    return attrs;
  }
}

export function formatStack(frames: readonly Frame[]): string {
  return frames.map((f) => `    at ${f.function || '<anonymous>'} (${f.file}:${f.line}:${f.column})`).join('\n');
}

interface Instruments {
  blocks: Counter;
  blockDuration: Histogram;
  syncIoSites: Counter;
  unawaited: Counter;
  threadpoolWait: Histogram;
  findings: Counter;
  observables: Array<{ o: ObservableGauge | ObservableCounter; cb: (r: ObservableResult) => void }>;
  batch: { cb: (r: BatchObservableResult) => void; of: Observable[] } | null;
}

const DELAY_WORDS = { min: 'minimum', max: 'maximum', mean: 'mean', p50: '50 percentile', p90: '90 percentile', p99: '99 percentile' } as const;

function makeInstruments(meter: Meter, threads: () => readonly ThreadHealth[], windows: LoopWindows): Instruments {
  const all = () => threads();
  const live = () => all().filter((t) => !t.exited);
  const observables: Instruments['observables'] = [];
  const observe = (o: ObservableGauge | ObservableCounter, cb: (r: ObservableResult) => void) => {
    o.addCallback(cb);
    observables.push({ o, cb });
  };
  // The delay gauges and utilization: one reading of every window since the last collection, for all seven.
  const delay = (Object.entries(S.METRIC_DELAY) as Array<[keyof typeof S.METRIC_DELAY, string]>).map(([key, name]) => ({
    key,
    gauge: meter.createObservableGauge(name, { unit: 's', description: `How late the heartbeat ran on the event loop: ${DELAY_WORDS[key]} since the last collection.` }),
  }));
  const utilization = meter.createObservableGauge(S.METRIC_UTILIZATION, { unit: '1', description: 'Event loop utilization since the last collection.' });
  const batchCb = (r: BatchObservableResult) => {
    const since = windows.collect(live());
    for (const t of live()) {
      const s = since.get(t.threadId);
      if (!s) continue;
      const attrs = threadAttributes(t.threadId, t.threadName);
      for (const { key, gauge } of delay) r.observe(gauge, s.delay[key] / SECOND, attrs);
      r.observe(utilization, s.elu, attrs);
    }
  };
  const of: Observable[] = [...delay.map((d) => d.gauge), utilization];
  meter.addBatchObservableCallback(batchCb, of);
  // Counters: a thread that exited keeps its last numbers (the exit's counts reach a last collection).
  observe(meter.createObservableCounter(S.METRIC_TIME, { unit: 's', description: 'Cumulative duration of time the event loop has been in each state.' }), (r) => {
    for (const t of all()) {
      const attrs = threadAttributes(t.threadId, t.threadName);
      r.observe(t.activeMs / SECOND, { ...attrs, [S.ATTR_EVENTLOOP_STATE]: 'active' });
      r.observe(t.idleMs / SECOND, { ...attrs, [S.ATTR_EVENTLOOP_STATE]: 'idle' });
    }
  });
  observe(meter.createObservableGauge(S.METRIC_BLOCKED, { unit: 's', description: 'How long the event loop of the thread has been blocked right now (0 while it turns).' }), (r) => {
    for (const t of live()) r.observe(t.blockedMs / SECOND, threadAttributes(t.threadId, t.threadName));
  });
  observe(meter.createObservableCounter(S.METRIC_STARVED, { unit: 's', description: 'Time the thread waited for a CPU inside gaps of its event loop (other work had the cores; not a block).' }), (r) => {
    for (const t of all()) r.observe((t.starvedMs ?? 0) / SECOND, threadAttributes(t.threadId, t.threadName));
  });
  observe(meter.createObservableCounter(S.METRIC_SYNC_IO_CALLS, { unit: '{call}', description: 'Synchronous I/O and CPU-heavy sync API calls after start-up, by API, as they happen.' }), (r) => {
    for (const t of all()) {
      const attrs = threadAttributes(t.threadId, t.threadName);
      for (const [api, calls] of Object.entries(t.syncCalls ?? {})) if (calls > 0) r.observe(calls, { ...attrs, [S.ATTR_API]: api });
    }
  });
  const advice = { explicitBucketBoundaries: S.DURATION_BUCKETS };
  return {
    blocks: meter.createCounter(S.METRIC_BLOCKS, { unit: '{block}', description: 'Event-loop blocks (each counted once, when it ends).' }),
    blockDuration: meter.createHistogram(S.METRIC_BLOCK_DURATION, { unit: 's', description: 'Duration of event-loop blocks.', advice }),
    syncIoSites: meter.createCounter(S.METRIC_SYNC_IO_SITE_CALLS, { unit: '{call}', description: "Synchronous API calls by code site, as each site's finding lines count them (first line, each doubling, exit)." }),
    unawaited: meter.createCounter(S.METRIC_UNAWAITED, { unit: '{promise}', description: 'Promises returned by async calls that nobody awaited.' }),
    threadpoolWait: meter.createHistogram(S.METRIC_THREADPOOL_WAIT, { unit: 's', description: 'Worst wait of libuv pool work queued behind a full pool, per saturation finding (its final value).', advice }),
    findings: meter.createCounter(S.METRIC_FINDINGS, { unit: '{finding}', description: 'asyncdebug findings, by kind.' }),
    observables,
    batch: { cb: batchCb, of },
  };
}

function dropInstruments(i: Instruments | null, meter: Meter | undefined): void {
  for (const { o, cb } of i?.observables ?? []) {
    try {
      o.removeCallback(cb);
    } catch {
      // a provider that is gone
    }
  }
  if (i?.batch && meter) {
    try {
      meter.removeBatchObservableCallback(i.batch.cb, i.batch.of);
    } catch {
      // a provider that is gone
    }
  }
}


/** The request's attributes, by OpenTelemetry's HTTP conventions (`http.route` only for a router's pattern). */
function requestAttributes(r: BlockRequest | undefined): Attributes {
  if (!r) return {};
  return { [S.ATTR_HTTP_METHOD]: r.method, [r.routeFrom === 'framework' ? S.ATTR_HTTP_ROUTE : S.ATTR_URL_PATH]: r.route };
}

/**
 * A block's span, from its start to its end (`part`: the part of it one request's callbacks held),
 * under its parent (or the root). A span starts and ends inside its parent's times: the block's own
 * start, when it began before its parent (the loop's turn began before the request), is kept as an
 * attribute.
 */
function span(signals: SinkSignals, f: BlockFinding, attrs: Attributes, parent: Parent | undefined, part?: BlockRequestPart): void {
  const from = part ? part.time : f.time;
  const to = from + (part ? part.durationMs : f.durationMs);
  const start = parent?.startMs !== undefined ? Math.max(from, parent.startMs) : from;
  const end = Math.max(start, parent?.endMs !== undefined ? Math.min(to, parent.endMs) : to);
  const attributes: Attributes = {
    ...attrs,
    ...requestAttributes(part ?? f.request),
    [S.ATTR_CODE_STACKTRACE]: formatStack(f.frames),
    [S.ATTR_FINDING_ID]: f.id,
    [S.ATTR_DURATION_MS]: part ? part.durationMs : f.durationMs,
  };
  if (start !== from) attributes[S.ATTR_BLOCK_START_MS] = from;
  const s = signals.tracer.startSpan(S.SPAN_BLOCK, { startTime: start, attributes }, parent?.context ?? signals.root);
  s.end(end);
}

/** A finding's log record, with the severity its kind has (kinds.ts). */
function log(signals: SinkSignals, f: Finding, attrs: Attributes, parent: Context | undefined): void {
  const record: Attributes = { ...attrs, [S.ATTR_KIND]: f.kind, [S.ATTR_FINDING_ID]: f.id, [S.ATTR_PROCESS_PID]: f.pid };
  if (f.frames.length) record[S.ATTR_CODE_STACKTRACE] = formatStack(f.frames);
  const extra = f as { durationMs?: unknown; api?: unknown };
  if (typeof extra.durationMs === 'number') record[S.ATTR_DURATION_MS] = extra.durationMs;
  if (typeof extra.api === 'string') record[S.ATTR_API] = extra.api;
  const severity = kindRow(f.kind)?.severity ?? 'WARN';
  signals.logger.emit({
    eventName: S.EVENT_FINDING,
    timestamp: f.time,
    severityNumber: SEVERITY_NUMBER[severity],
    severityText: severity,
    body: f.message,
    attributes: record,
    ...(parent ? { context: parent } : {}),
  });
}

/** A worker's name, for findings made outside it (the watchdog writes blocks): from its loop health. */
function threadNames(threads: SinkOptions['threads']): (threadId: number) => string | undefined {
  const names = new Map<number, string | undefined>();
  return (threadId) => {
    if (threadId === 0) return undefined;
    if (!names.has(threadId)) {
      let name: string | undefined;
      try {
        name = threads().find((t) => t.threadId === threadId)?.threadName;
      } catch {
        name = undefined;
      }
      if (name === undefined) return undefined;
      names.set(threadId, name);
    }
    return names.get(threadId);
  };
}

export function createSink(signals: SinkSignals, options: SinkOptions): Sink {
  let current = signals;
  const windows = createLoopWindows();
  let instruments: Instruments | null = makeInstruments(signals.meter, options.threads, windows);
  // Every window the threads publish, between collections (an unref'd timer: it keeps nothing alive).
  const reader = setInterval(() => {
    try {
      windows.note(options.threads());
    } catch {
      // read again next time
    }
  }, WINDOW_READ_MS);
  reader.unref();
  const sites = new SiteLimiter(options.maxSites ?? MAX_SITES);
  /** Final findings already counted (id), and the last count of each sync-io site. */
  const done = new Map<string, number>();
  const remember = (key: string, value: number) => {
    done.set(key, value);
    if (done.size > MAX_IDS) done.delete(done.keys().next().value!);
  };

  /** A sync-io finding: one per site, whose later lines carry the site's new count of calls. */
  function syncCalls(i: Instruments, f: Finding, thread: Attributes): void {
    const extra = f as { count?: unknown; api?: unknown };
    const count = typeof extra.count === 'number' ? extra.count : 1;
    const before = done.get(f.id);
    const attrs = { ...thread, ...sites.attributes(f.site), [S.ATTR_API]: String(extra.api ?? 'unknown') };
    if (before === undefined) {
      i.findings.add(1, { ...thread, [S.ATTR_KIND]: f.kind });
      log(current, f, attrs, undefined);
    }
    if (count > (before ?? 0)) i.syncIoSites.add(count - (before ?? 0), attrs);
    remember(f.id, Math.max(count, before ?? 0));
  }

  const nameOf = threadNames(options.threads);

  return {
    report(f) {
      const i = instruments;
      if (!i) return;
      const thread = threadAttributes(f.threadId, f.threadName ?? nameOf(f.threadId));
      const signal = kindRow(f.kind)?.otel ?? 'log';
      if (signal === 'sync-io') return syncCalls(i, f, thread);
      // A finding still going on (a block, a pool saturation) counts once, with its final line's numbers;
      // a block's final line under its threshold withdraws it (no block).
      if ((f as { ongoing?: unknown }).ongoing === true || (f.kind === 'block' && !metThreshold(f))) return;
      if (done.has(f.id)) return;
      remember(f.id, 1);
      const site = sites.attributes(f.site);
      const attrs = { ...thread, ...site };
      const parent = f.kind === 'block' ? options.parentFor?.(f) : undefined;
      if (f.kind !== 'summary') i.findings.add(1, { ...thread, [S.ATTR_KIND]: f.kind });
      switch (signal) {
        case 'block': {
          // The kinds table gives this signal to blocks only.
          const block = f as BlockFinding;
          i.blocks.add(1, attrs);
          i.blockDuration.record(block.durationMs / SECOND, attrs);
          // A block that served several requests: a span for each one's part, under that request's span.
          if (block.requests && options.parentFor) for (const part of block.requests) span(current, block, attrs, options.parentFor(block, part), part);
          else span(current, block, attrs, parent);
          break;
        }
        case 'unawaited':
          i.unawaited.add(1, attrs);
          break;
        case 'pool-wait': {
          const wait = (f as { durationMs?: unknown }).durationMs;
          if (typeof wait === 'number') i.threadpoolWait.record(wait / SECOND, attrs);
          break;
        }
        case 'log':
          break;
        default:
          signal satisfies never;
      }
      log(current, f, attrs, parent?.context);
    },
    note(threads) {
      windows.note(threads);
    },
    use(next) {
      const previous = current.meter;
      const meterChanged = next.meter !== previous;
      current = next;
      if (!meterChanged || !instruments) return;
      dropInstruments(instruments, previous);
      instruments = makeInstruments(next.meter, options.threads, windows);
    },
    close() {
      clearInterval(reader);
      dropInstruments(instruments, current.meter);
      instruments = null;
    },
  };
}
