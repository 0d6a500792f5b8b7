// The otel reporter against the SDK's in-memory exporters: metrics (names, units, attributes, counted
// once per finding), a span per block parented to the span active when the blocking code ran, a log
// record per finding. The reporter runs in its `main` place here: the test is the app and registers the
// SDK globally, as an app would.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { context, logs, metrics, SpanKind, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { readConfig, type Config } from '../../../src/config.js';
import type { BlockFinding, Finding, Frame } from '../../../src/finding.js';
import type { ThreadHealth } from '../../../src/thread-health.js';
import { requestStore, type RequestState } from '../../../src/request-state.js';
import { createReporter } from '../../../src/reporters/otel.js';
import type { Reporter } from '../../../src/reporters/reporter.js';
import { SiteLimiter } from '../../../src/otel/sink.js';
import * as S from '../../../src/otel/semconv.js';

const site = (line: number, file = '/app/server.js'): Frame => ({ file, line, column: 5, function: 'handler' });

function block(id: string, durationMs: number, ongoing: boolean, extra: Partial<BlockFinding> = {}): BlockFinding {
  return { v: 1, id, kind: 'block', time: Date.now() - durationMs, pid: process.pid, threadId: 0, message: `blocked ${durationMs} ms`, site: site(12), frames: [site(12), site(40, '/app/main.js')], durationMs, ongoing, ...extra };
}

function other(kind: Finding['kind'], id: string, extra: Record<string, unknown> = {}): Finding {
  return { v: 1, id, kind, time: Date.now(), pid: process.pid, threadId: 1, threadName: 'pool', message: kind, site: site(7, '/app/w.js'), frames: [site(7, '/app/w.js')], ...extra } as Finding;
}

const health: ThreadHealth[] = [
  { pid: 1, threadId: 0, time: 0, delay: { min: 10, max: 250, mean: 20, p50: 11, p90: 30, p99: 240 }, elu: 0.75, activeMs: 3000, idleMs: 1000, blockedMs: 0, blocks: 1, starvedMs: 0, starvedGaps: 0, syncCalls: { 'fs.readFileSync': 7, 'Atomics.wait': 1 }, exited: false },
  { pid: 1, threadId: 1, threadName: 'pool', time: 0, delay: { min: 10, max: 12, mean: 11, p50: 11, p90: 12, p99: 12 }, elu: 0.1, activeMs: 100, idleMs: 900, blockedMs: 150, blocks: 0, starvedMs: 420, starvedGaps: 2, exited: false },
  { pid: 1, threadId: 2, time: 0, delay: { min: 1, max: 1, mean: 1, p50: 1, p90: 1, p99: 1 }, elu: 0, activeMs: 1, idleMs: 1, blockedMs: 0, blocks: 0, starvedMs: 0, starvedGaps: 0, syncCalls: { 'zlib.gzipSync': 2 }, exited: true },
];

let metricExporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let spans: InMemorySpanExporter;
let logRecords: InMemoryLogRecordExporter;
let tracerProvider: TracerProvider;
let contextManager: AsyncLocalStorageContextManager;
let reporter: Reporter | null = null;
let warnings: string[] = [];

function config(env: Record<string, string> = {}): Config {
  return readConfig({ ASYNC_DEBUG_REPORTERS: 'otel', ...env }, () => {});
}

async function start(): Promise<Reporter> {
  reporter = await createReporter({ config: config(), warn: (l) => warnings.push(l), health: () => health });
  return reporter;
}

async function collected(): Promise<Map<string, MetricData>> {
  await reader.forceFlush();
  const byName = new Map<string, MetricData>();
  for (const rm of metricExporter.getMetrics()) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) byName.set(m.descriptor.name, m);
  return byName;
}

function points(m: MetricData | undefined): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  return (m?.dataPoints ?? []).map((p) => ({ attributes: p.attributes as Record<string, unknown>, value: p.value }));
}

beforeEach(() => {
  warnings = [];
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  spans = new InMemorySpanExporter();
  tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  trace.setGlobalTracerProvider(tracerProvider);
  logRecords = new InMemoryLogRecordExporter();
  logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logRecords })] }));
});

afterEach(() => {
  reporter?.close?.();
  reporter = null;
  metrics.disable();
  trace.disable();
  logs.disable();
  context.disable();
});

describe('otel reporter, metrics', () => {
  it("loop health under asyncdebug's names, in seconds: gauges per live thread, counters of exited threads too", async () => {
    await start();
    const m = await collected();
    const p99 = points(m.get(S.METRIC_DELAY.p99));
    expect(m.get(S.METRIC_DELAY.p99)?.descriptor.unit).toBe('s');
    expect(p99).toEqual([
      { attributes: { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main' }, value: 0.24 },
      { attributes: { [S.ATTR_THREAD_ID]: 1, [S.ATTR_THREAD_NAME]: 'pool' }, value: 0.012 },
    ]);
    for (const name of Object.values(S.METRIC_DELAY)) expect(m.has(name), name).toBe(true);
    expect(points(m.get(S.METRIC_UTILIZATION)).map((p) => p.value)).toEqual([0.75, 0.1]);
    expect(m.get(S.METRIC_UTILIZATION)?.descriptor.unit).toBe('1');
    const time = points(m.get(S.METRIC_TIME));
    expect(time).toContainEqual({ attributes: { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main', [S.ATTR_EVENTLOOP_STATE]: 'active' }, value: 3 });
    expect(time).toContainEqual({ attributes: { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main', [S.ATTR_EVENTLOOP_STATE]: 'idle' }, value: 1 });
    expect(points(m.get(S.METRIC_BLOCKED)).map((p) => p.value)).toEqual([0, 0.15]);
    expect(points(m.get(S.METRIC_STARVED))).toEqual([
      { attributes: { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main' }, value: 0 },
      { attributes: { [S.ATTR_THREAD_ID]: 1, [S.ATTR_THREAD_NAME]: 'pool' }, value: 0.42 },
      { attributes: { [S.ATTR_THREAD_ID]: 2 }, value: 0 },
    ]);
    for (const name of [...Object.values(S.METRIC_DELAY), S.METRIC_UTILIZATION, S.METRIC_TIME]) expect(name.startsWith('asyncdebug.eventloop.'), name).toBe(true);
  });

  it('the sync-call counter is each thread\'s count per API as it is now, an exited thread\'s last count too', async () => {
    await start();
    const m = await collected();
    expect(points(m.get(S.METRIC_SYNC_IO_CALLS))).toEqual([
      { attributes: { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main', [S.ATTR_API]: 'fs.readFileSync' }, value: 7 },
      { attributes: { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main', [S.ATTR_API]: 'Atomics.wait' }, value: 1 },
      { attributes: { [S.ATTR_THREAD_ID]: 2, [S.ATTR_API]: 'zlib.gzipSync' }, value: 2 },
    ]);
    // No finding line moved it: the next collection has the count the thread has then.
    health[0]!.syncCalls = { 'fs.readFileSync': 1000, 'Atomics.wait': 1 };
    try {
      const again = await collected();
      expect(points(again.get(S.METRIC_SYNC_IO_CALLS))[0]!.value).toBe(1000);
    } finally {
      health[0]!.syncCalls = { 'fs.readFileSync': 7, 'Atomics.wait': 1 };
    }
  });

  it('the delay gauges and utilization cover every window since the previous collection, not the last one', async () => {
    const main = health[0]!;
    const saved = structuredClone(main);
    try {
      await start();
      await collected();
      // Three windows between two collections: a spike in the first, calm after it.
      const windows = [
        { time: 1, delay: { min: 1, max: 900, mean: 60, p50: 2, p90: 5, p99: 880 }, activeMs: 3900, idleMs: 1100 },
        { time: 2, delay: { min: 0.5, max: 3, mean: 1, p50: 1, p90: 2, p99: 3 }, activeMs: 4000, idleMs: 2000 },
        { time: 3, delay: { min: 0.7, max: 4, mean: 2, p50: 1.5, p90: 3, p99: 4 }, activeMs: 4100, idleMs: 2900 },
      ];
      // The hub hands the reporter every thread's health each second (its own timer reads them too).
      for (const w of windows.slice(0, 2)) {
        Object.assign(main, w);
        (reporter as Reporter).health?.(health);
      }
      Object.assign(main, windows[2]);
      const m = await collected();
      const of = (name: string) => points(m.get(name)).find((p) => p.attributes[S.ATTR_THREAD_ID] === 0)?.value;
      expect(of(S.METRIC_DELAY.max)).toBe(0.9);
      expect(of(S.METRIC_DELAY.p99)).toBe(0.88);
      expect(of(S.METRIC_DELAY.min)).toBe(0.0005);
      expect(of(S.METRIC_DELAY.mean)).toBeCloseTo(0.021);
      // 1100 ms active of 3000 since the first collection (3000 active, 1000 idle then).
      expect(of(S.METRIC_UTILIZATION)).toBeCloseTo(1100 / 3000);
      // The collection after sees only what came since: no new window, so the last one again.
      const next = await collected();
      expect(points(next.get(S.METRIC_DELAY.max)).find((p) => p.attributes[S.ATTR_THREAD_ID] === 0)?.value).toBe(0.004);
    } finally {
      Object.assign(main, saved);
    }
  });

  it('a final block line under its threshold withdraws the block: nothing is counted', async () => {
    const r = await start();
    r.report(block('b1', 195, true, { thresholdMs: 100 }));
    r.report(block('b1', 28, false, { thresholdMs: 100 }));
    const m = await collected();
    expect(points(m.get(S.METRIC_BLOCKS))).toEqual([]);
    expect(points(m.get(S.METRIC_FINDINGS))).toEqual([]);
  });

  it('a block counts once, when final, with its thread and code site; its duration goes to the histogram', async () => {
    const r = await start();
    r.report(block('b1', 180, true));
    r.report(block('b1', 420, false));
    r.report(block('b1', 420, false)); // a repeated final line is not a second block
    const m = await collected();
    const attrs = { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main', [S.ATTR_CODE_FILE_PATH]: '/app/server.js', [S.ATTR_CODE_LINE_NUMBER]: 12, [S.ATTR_CODE_FUNCTION_NAME]: 'handler' };
    expect(points(m.get(S.METRIC_BLOCKS))).toEqual([{ attributes: attrs, value: 1 }]);
    const hist = m.get(S.METRIC_BLOCK_DURATION)!;
    expect(hist.descriptor.unit).toBe('s');
    const h = hist.dataPoints[0]!.value as { count: number; sum: number; buckets: { boundaries: number[] } };
    expect(h.count).toBe(1);
    expect(h.sum).toBeCloseTo(0.42);
    expect(h.buckets.boundaries).toEqual(S.DURATION_BUCKETS);
    expect(points(m.get(S.METRIC_FINDINGS))).toEqual([{ attributes: { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main', [S.ATTR_KIND]: 'block' }, value: 1 }]);
  });

  it('sync I/O sites add the new calls of each site as its count grows; unawaited and pool waits by site, a pool wait with its final value', async () => {
    const r = await start();
    r.report(other('sync-io', 's1', { api: 'fs.readFileSync', count: 1, durationMs: 2 }));
    r.report(other('sync-io', 's1', { api: 'fs.readFileSync', count: 5, durationMs: 2 }));
    r.report(other('sync-io', 's1', { api: 'fs.readFileSync', count: 5, durationMs: 2 }));
    r.report(other('unawaited', 'u1', { settled: 'pending' }));
    // A saturation is written when found (ongoing) and again with its final worst wait.
    r.report(other('threadpool-saturation', 't1', { durationMs: 77, queued: 3, poolSize: 4, ongoing: true }));
    r.report(other('threadpool-saturation', 't1', { durationMs: 396, queued: 3, poolSize: 4, ongoing: false, message: 'final' }));
    const m = await collected();
    const where = { [S.ATTR_THREAD_ID]: 1, [S.ATTR_THREAD_NAME]: 'pool', [S.ATTR_CODE_FILE_PATH]: '/app/w.js', [S.ATTR_CODE_LINE_NUMBER]: 7, [S.ATTR_CODE_FUNCTION_NAME]: 'handler' };
    expect(points(m.get(S.METRIC_SYNC_IO_SITE_CALLS))).toEqual([{ attributes: { ...where, [S.ATTR_API]: 'fs.readFileSync' }, value: 5 }]);
    expect(points(m.get(S.METRIC_UNAWAITED))).toEqual([{ attributes: where, value: 1 }]);
    const wait = m.get(S.METRIC_THREADPOOL_WAIT)!.dataPoints[0]!.value as { sum: number; count: number };
    expect(wait).toMatchObject({ count: 1 });
    expect(wait.sum).toBeCloseTo(0.396);
    const poolLogs = logRecords.getFinishedLogRecords().filter((l) => l.attributes[S.ATTR_KIND] === 'threadpool-saturation');
    expect(poolLogs.map((l) => [l.body, l.attributes[S.ATTR_DURATION_MS]])).toEqual([['final', 396]]);
    const kinds = points(m.get(S.METRIC_FINDINGS)).map((p) => [p.attributes[S.ATTR_KIND], p.value]);
    expect(kinds.sort()).toEqual([['sync-io', 1], ['threadpool-saturation', 1], ['unawaited', 1]]);
  });

  it('code sites past the first N are one `other` series', () => {
    const limiter = new SiteLimiter(2);
    expect(limiter.attributes(site(1))[S.ATTR_CODE_LINE_NUMBER]).toBe(1);
    expect(limiter.attributes(site(2))[S.ATTR_CODE_LINE_NUMBER]).toBe(2);
    expect(limiter.attributes(site(3))[S.ATTR_CODE_FILE_PATH]).toBe(S.OTHER);
    expect(limiter.attributes(site(1))[S.ATTR_CODE_LINE_NUMBER]).toBe(1);
    expect(limiter.attributes(null)).toEqual({});
  });

  it('an SDK the app registers after the reporter started is picked up (metrics, spans, logs), also through another copy of the API', async () => {
    // The test registers through the ESM build of @opentelemetry/api; the reporter loaded the CommonJS one.
    metrics.disable();
    trace.disable();
    logs.disable();
    const r = await start();
    metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));
    logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logRecords })] }));
    r.report(block('late', 200, false));
    const m = await collected();
    expect(points(m.get(S.METRIC_BLOCKS))).toHaveLength(1);
    expect(m.has(S.METRIC_DELAY.p99)).toBe(true);
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual([S.SPAN_BLOCK]);
    expect(logRecords.getFinishedLogRecords()).toHaveLength(1);
  });
});

/** Spins the thread for `ms` (a real block of the test's own loop, as the app's would be). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('otel reporter, spans and logs', () => {
  it('a block is a span event_loop.block over its time, parented to the span active when the blocking code ran', async () => {
    const r = await start();
    const tracer = trace.getTracer('app');
    let request!: Span;
    let began = 0;
    tracer.startActiveSpan('GET /slow', (span) => {
      request = span;
      began = Date.now();
      spin(120);
      span.end();
    });
    r.report(block('b2', 120, false, { time: began }));
    const blockSpan = spans.getFinishedSpans().find((s) => s.name === S.SPAN_BLOCK)!;
    expect(blockSpan).toBeDefined();
    expect(blockSpan.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(blockSpan.spanContext().traceId).toBe(request.spanContext().traceId);
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    // Its time, kept inside its parent's: `began` is Date.now() (whole ms, the system clock) and the
    // parent's times the SDK's (performance.timeOrigin + now()), so the clamp to the parent can take a
    // little off the block's 120 ms (0.7 ms seen on CI).
    const duration = ms(blockSpan.endTime) - ms(blockSpan.startTime);
    expect(duration).toBeGreaterThan(115);
    expect(duration).toBeLessThanOrEqual(120.001);
    const parent = request as unknown as { startTime: [number, number]; endTime: [number, number] };
    expect(ms(blockSpan.startTime)).toBeGreaterThanOrEqual(ms(parent.startTime));
    expect(ms(blockSpan.endTime)).toBeLessThanOrEqual(ms(parent.endTime));
    expect(String(blockSpan.attributes[S.ATTR_CODE_STACKTRACE])).toContain('at handler (/app/server.js:12:5)');
    expect(blockSpan.attributes[S.ATTR_CODE_FILE_PATH]).toBe('/app/server.js');
    // the ongoing line of a block makes no span
    r.report(block('b3', 150, true));
    expect(spans.getFinishedSpans().filter((s) => s.name === S.SPAN_BLOCK)).toHaveLength(1);
  });

  it('the innermost span wins; a block after an await is parented by the spans open across it when they are one trace', async () => {
    const r = await start();
    const tracer = trace.getTracer('app');
    let inner!: Span;
    let began = 0;
    tracer.startActiveSpan('outer', (outer) => {
      tracer.startActiveSpan('inner', (span) => {
        inner = span;
        began = Date.now();
        spin(110);
        span.end();
      });
      outer.end();
    });
    r.report(block('n1', 110, false, { time: began }));
    expect(spans.getFinishedSpans().find((s) => s.name === S.SPAN_BLOCK)!.parentSpanContext?.spanId).toBe(inner.spanContext().spanId);

    spans.reset();
    let handler!: Span;
    await tracer.startActiveSpan('GET /async', async (span) => {
      handler = span;
      await new Promise((done) => setTimeout(done, 5));
      began = Date.now();
      spin(110);
      span.end();
    });
    r.report(block('n2', 110, false, { time: began }));
    expect(warnings).toEqual([]);
    expect(spans.getFinishedSpans().find((s) => s.name === S.SPAN_BLOCK)!.parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
  });

  it('a block that began well before the span was entered (same loop turn) is still parented to it', async () => {
    // On a loaded machine the work Node and an instrumentation do before the handler, in the same turn,
    // can take longer than the handler's own block: the span then covers less than half of the block.
    const r = await start();
    const tracer = trace.getTracer('app');
    let request!: Span;
    const began = Date.now();
    spin(160); // before the request span: parsing, the instrumentation's own work, a descheduled process
    tracer.startActiveSpan('GET /invoice', (span) => {
      request = span;
      spin(120);
      span.end();
    });
    r.report(block('late', Date.now() - began, false, { time: began }));
    expect(spans.getFinishedSpans().find((s) => s.name === S.SPAN_BLOCK)!.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
  });

  it('a block that served a request is the child of that request\'s server span, whatever else overlaps, and lies inside it', async () => {
    const r = await start();
    const tracer = trace.getTracer('app');
    // Two overlapping requests, each entering its server span while its request store is current (as
    // Node's http.server.request.start and instrumentation-http do).
    const states = [{ id: 1, method: 'GET', path: '/users/1' }, { id: 2, method: 'GET', path: '/users/2' }] as RequestState[];
    const servers: Span[] = [];
    const began = Date.now();
    spin(20); // the loop's turn began before the requests did
    for (const state of states) {
      requestStore().run(state, () => tracer.startActiveSpan('GET', { kind: SpanKind.SERVER }, (span) => {
        servers.push(span);
        tracer.startActiveSpan('inner', (inner) => inner.end()); // a span of its own entered later: not the request's
      }));
    }
    spin(20);
    for (const s of servers) s.end();
    expect(states[0]!.spanId).toBe(servers[0]!.spanContext().spanId);
    expect(states[1]!.spanId).toBe(servers[1]!.spanContext().spanId);
    const request = (st: RequestState) => ({ method: 'GET', route: st.path, routeFrom: 'path' as const, traceId: st.traceId!, spanId: st.spanId! });
    r.report(block('first', Date.now() - began, false, { time: began, request: request(states[0]!) }));
    const made = spans.getFinishedSpans().filter((s) => s.name === S.SPAN_BLOCK);
    expect(made).toHaveLength(1);
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(made[0]!.parentSpanContext?.spanId).toBe(servers[0]!.spanContext().spanId);
    expect(ms(made[0]!.startTime)).toBeGreaterThanOrEqual(ms((servers[0] as unknown as { startTime: [number, number] }).startTime));
    expect(ms(made[0]!.endTime)).toBeLessThanOrEqual(ms((servers[0] as unknown as { endTime: [number, number] }).endTime));
    expect(made[0]!.attributes[S.ATTR_BLOCK_START_MS]).toBe(began);
    expect(made[0]!.attributes[S.ATTR_HTTP_METHOD]).toBe('GET');
    expect(made[0]!.attributes[S.ATTR_URL_PATH]).toBe('/users/1');
    expect(made[0]!.attributes[S.ATTR_HTTP_ROUTE]).toBeUndefined();

    // A block over both requests' callbacks: a span for each part, under its own request's span.
    spans.reset();
    const parts = states.map((st, i) => ({ ...request(st), route: i ? '/users/:id' : st.path, routeFrom: i ? ('framework' as const) : ('path' as const), time: began + 20 * i, durationMs: 20 }));
    r.report(block('both', 40, false, { time: began, request: parts[1], requests: parts }));
    const split = spans.getFinishedSpans().filter((s) => s.name === S.SPAN_BLOCK);
    expect(split.map((s) => s.parentSpanContext?.spanId)).toEqual(servers.map((s) => s.spanContext().spanId));
    expect(split[1]!.attributes[S.ATTR_HTTP_ROUTE]).toBe('/users/:id');
    expect(split.map((s) => s.attributes[S.ATTR_DURATION_MS])).toEqual([20, 20]);
    // counted once
    const blocks = points((await collected()).get(S.METRIC_BLOCKS));
    expect(blocks.reduce((n, p) => n + Number(p.value), 0)).toBe(2);
  });

  it('blocks outside any span, and in workers, are root spans', async () => {
    const r = await start();
    r.report(block('root', 130, false));
    r.report(block('worker', 130, false, { threadId: 3 }));
    const made = spans.getFinishedSpans().filter((s) => s.name === S.SPAN_BLOCK);
    expect(made).toHaveLength(2);
    for (const s of made) expect(s.parentSpanContext).toBeUndefined();
  });

  it('a log record per finding, with kind, site, stack and the block span\'s trace', async () => {
    const r = await start();
    r.report(other('sync-io', 's1', { api: 'fs.statSync', count: 1, durationMs: 1 }));
    r.report(other('sync-io', 's1', { api: 'fs.statSync', count: 2, durationMs: 1 }));
    r.report(block('b4', 300, true));
    r.report(block('b4', 300, false));
    r.report(other('unhandled-rejection', 'r1', { error: { name: 'Error', message: 'x' } }));
    const records = logRecords.getFinishedLogRecords();
    expect(records.map((l) => l.attributes[S.ATTR_KIND])).toEqual(['sync-io', 'block', 'unhandled-rejection']);
    const [sync, blk, rejection] = records;
    expect(sync!.eventName).toBe(S.EVENT_FINDING);
    expect(sync!.attributes[S.ATTR_API]).toBe('fs.statSync');
    expect(sync!.body).toBe('sync-io');
    expect(blk!.severityText).toBe('WARN');
    expect(blk!.attributes[S.ATTR_DURATION_MS]).toBe(300);
    expect(String(blk!.attributes[S.ATTR_CODE_STACKTRACE])).toContain('/app/main.js:40:5');
    expect(rejection!.severityText).toBe('ERROR');
  });

  it('close() unwraps the app\'s context manager', async () => {
    const r = await start();
    expect(Object.prototype.hasOwnProperty.call(contextManager, 'with')).toBe(true);
    r.close?.();
    reporter = null;
    expect(Object.prototype.hasOwnProperty.call(contextManager, 'with')).toBe(false);
  });
});

describe('otel reporter, an app with no SDK', () => {
  it('says once, after a few seconds with no SDK registered, that nothing is exported', async () => {
    metrics.disable();
    trace.disable();
    logs.disable();
    vi.useFakeTimers();
    try {
      const r = await start();
      r.report(block('early', 150, false));
      expect(warnings).toEqual([]);
      vi.advanceTimersByTime(12_000);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('ASYNC_DEBUG_OTEL=prometheus or otlp');
    } finally {
      vi.useRealTimers();
    }
  });

  it('and says nothing when the app has one', async () => {
    vi.useFakeTimers();
    try {
      await start();
      vi.advanceTimersByTime(12_000);
      expect(warnings).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('otel reporter, configuration', () => {
  it('ASYNC_DEBUG_OTEL turns the reporter on and places it in the hub; unset, in the main thread', async () => {
    const { REPORTERS } = await import('../../../src/reporters/reporter-list.js');
    expect(config({ ASYNC_DEBUG_REPORTERS: 'console', ASYNC_DEBUG_OTEL: 'prometheus' }).reporters).toEqual(['console', 'otel']);
    expect(REPORTERS.otel!.place(config({ ASYNC_DEBUG_OTEL: 'otlp' }))).toBe('hub');
    expect(REPORTERS.otel!.place(config())).toBe('main');
    expect(REPORTERS.otel!.module).toBe('otel.js');
  });

  it('the Prometheus port and host: defaults, bad values, a warning for a host beyond loopback', () => {
    const warned: string[] = [];
    const c = readConfig({ ASYNC_DEBUG_PROMETHEUS_PORT: '70000', ASYNC_DEBUG_PROMETHEUS_HOST: '0.0.0.0', ASYNC_DEBUG_OTEL: 'zipkin' }, (l) => warned.push(l));
    expect(c.prometheusPort).toBe(9464);
    expect(c.prometheusHost).toBe('0.0.0.0');
    expect(c.otel).toBeNull();
    expect(warned).toHaveLength(3);
    expect(warned.join('\n')).toContain('not a loopback address');
    expect(readConfig({ ASYNC_DEBUG_PROMETHEUS_HOST: '::1', ASYNC_DEBUG_PROMETHEUS_PORT: '9500' }, (l) => warned.push(l))).toMatchObject({ prometheusHost: '::1', prometheusPort: 9500 });
    expect(warned).toHaveLength(3);
  });
});
