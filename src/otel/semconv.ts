// Every metric, span, log and attribute name the OpenTelemetry reporter uses, in one place.
// Metrics are ours, under `asyncdebug.*`: the loop's delay, utilization and time were once named
// `nodejs.eventloop.*` after the semantic conventions, the names @opentelemetry/instrumentation-runtime-node
// exports too, with another meaning (its delay is monitorEventLoopDelay's; ours is how late the agent's
// heartbeat ran, aggregated since the last collection): in one app, the two mixed. Attributes follow the
// semantic conventions where they exist (code.*, thread.*, nodejs.eventloop.state; status "development"
// there, so they are spelled out here rather than imported from @opentelemetry/semantic-conventions/incubating).
// The dashboards in dashboards/ and the Prometheus names in docs/otel.md follow from these.

/** The instrumentation scope (meter, tracer and logger name): `otel_scope_name` in Prometheus. */
export const SCOPE = 'asyncdebug';

// --- The event loop of each thread: gauges in seconds (utilization in 1), since the last collection ---
/** How late the heartbeat ran: the least and the most since the last collection, the mean of the
 *  one-second windows since then, and the highest one-second percentile since then. */
export const METRIC_DELAY = {
  min: 'asyncdebug.eventloop.delay.min',
  max: 'asyncdebug.eventloop.delay.max',
  mean: 'asyncdebug.eventloop.delay.mean',
  p50: 'asyncdebug.eventloop.delay.p50',
  p90: 'asyncdebug.eventloop.delay.p90',
  p99: 'asyncdebug.eventloop.delay.p99',
} as const;
/** The share of time the loop ran callbacks since the last collection. */
export const METRIC_UTILIZATION = 'asyncdebug.eventloop.utilization';
/** Counter (seconds), split by ATTR_EVENTLOOP_STATE = active | idle. */
export const METRIC_TIME = 'asyncdebug.eventloop.time';
/** The semantic conventions' attribute (same meaning: active or idle). */
export const ATTR_EVENTLOOP_STATE = 'nodejs.eventloop.state';

// --- Our metrics ---
/** Counter of final blocks (a block is reported while ongoing and again final: counted once). */
export const METRIC_BLOCKS = 'asyncdebug.loop.blocks';
/** Histogram of final block durations, seconds. */
export const METRIC_BLOCK_DURATION = 'asyncdebug.loop.block.duration';
/** Gauge: seconds the loop of a thread has been blocked right now (0 when it turns). */
export const METRIC_BLOCKED = 'asyncdebug.loop.blocked';
/** Counter (seconds) of the time each thread waited for a CPU inside gaps of its loop (Linux): the
 *  machine's doing, not a block. */
export const METRIC_STARVED = 'asyncdebug.loop.starved';
/** Counter of synchronous API calls after start-up, by thread and API, as the detector counts them. */
export const METRIC_SYNC_IO_CALLS = 'asyncdebug.sync_io.calls';
/** Counter of the same calls by code site too, as each site's finding lines say (at its first line, at
 *  each doubling of its count, and at exit). */
export const METRIC_SYNC_IO_SITE_CALLS = 'asyncdebug.sync_io.site.calls';
/** Counter of promises nobody awaited, by site. */
export const METRIC_UNAWAITED = 'asyncdebug.promises.unawaited';
/** Histogram of the worst wait behind a full libuv pool, per saturation finding, seconds. */
export const METRIC_THREADPOOL_WAIT = 'asyncdebug.threadpool.wait';
/** Counter of every finding (final ones, once per id), by kind. */
export const METRIC_FINDINGS = 'asyncdebug.findings';

// --- Attributes ---
export const ATTR_THREAD_ID = 'thread.id';
export const ATTR_THREAD_NAME = 'thread.name';
export const ATTR_CODE_FILE_PATH = 'code.file.path';
export const ATTR_CODE_LINE_NUMBER = 'code.line.number';
export const ATTR_CODE_COLUMN_NUMBER = 'code.column.number';
export const ATTR_CODE_FUNCTION_NAME = 'code.function.name';
export const ATTR_CODE_STACKTRACE = 'code.stacktrace';
export const ATTR_KIND = 'asyncdebug.finding.kind';
export const ATTR_FINDING_ID = 'asyncdebug.finding.id';
export const ATTR_API = 'asyncdebug.api';
export const ATTR_DURATION_MS = 'asyncdebug.duration_ms';
export const ATTR_PROCESS_PID = 'process.pid';
/** The request a block served (OpenTelemetry's HTTP conventions): `http.route` is a router's pattern, else `url.path`. */
export const ATTR_HTTP_METHOD = 'http.request.method';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_URL_PATH = 'url.path';
/** When the block began as measured (epoch ms), on a span whose start was moved inside its parent's. */
export const ATTR_BLOCK_START_MS = 'asyncdebug.block.start_ms';

/** The site value that stands for every site past the first N (bounded cardinality). */
export const OTHER = 'other';

// --- Spans and logs ---
export const SPAN_BLOCK = 'event_loop.block';
/** Log records carry this event name (the logs API's eventName). */
export const EVENT_FINDING = 'asyncdebug.finding';

/** Bucket boundaries (seconds) for the block-duration and pool-wait histograms. */
export const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * How these names read in Prometheus. @opentelemetry/exporter-prometheus (0.2xx and 0.3xx) turns dots into
 * underscores and ends counters in `_total`, with no unit suffix; an OpenTelemetry Collector's
 * `prometheus` or `prometheusremotewrite` exporter adds the unit first (`s` -> `_seconds`, `1` on a gauge
 * -> `_ratio`). `name` is the first, `collector` the second; `series` matches either (a regular
 * expression on `__name__`), which is what the dashboards use. Every series also has
 * `otel_scope_name="asyncdebug"`.
 */
export interface PrometheusName {
  name: string;
  collector: string;
  /** A selector for either spelling, with more matchers after it: `series('a="b"')`. */
  series(matchers?: string): string;
}

function promName(otel: string, kind: 'gauge' | 'counter' | 'histogram', unit: 's' | '1' | ''): PrometheusName {
  const base = otel.replace(/\./g, '_');
  const suffix = unit === 's' ? '_seconds' : unit === '1' && kind === 'gauge' ? '_ratio' : '';
  const total = kind === 'counter' ? '_total' : '';
  return {
    name: `${base}${total}`,
    collector: `${base}${suffix}${total}`,
    series: (matchers = '') => `{__name__=~"${base}${suffix ? `(${suffix})?` : ''}${total}"${matchers ? `, ${matchers}` : ''}}`,
  };
}

/** A histogram's series of one part (`_bucket`, `_sum`, `_count`), in either spelling. */
export function histogramSeries(h: PrometheusName, part: '_bucket' | '_sum' | '_count', matchers = ''): string {
  const base = h.name;
  const optional = h.collector.slice(base.length);
  return `{__name__=~"${base}${optional ? `(${optional})?` : ''}${part}"${matchers ? `, ${matchers}` : ''}}`;
}

export const PROMETHEUS = {
  delay: (key: keyof typeof METRIC_DELAY) => promName(METRIC_DELAY[key], 'gauge', 's'),
  utilization: promName(METRIC_UTILIZATION, 'gauge', '1'),
  time: promName(METRIC_TIME, 'counter', 's'),
  blocks: promName(METRIC_BLOCKS, 'counter', ''),
  blockDuration: promName(METRIC_BLOCK_DURATION, 'histogram', 's'),
  blocked: promName(METRIC_BLOCKED, 'gauge', 's'),
  starved: promName(METRIC_STARVED, 'counter', 's'),
  syncIo: promName(METRIC_SYNC_IO_CALLS, 'counter', ''),
  syncIoSites: promName(METRIC_SYNC_IO_SITE_CALLS, 'counter', ''),
  unawaited: promName(METRIC_UNAWAITED, 'counter', ''),
  threadpoolWait: promName(METRIC_THREADPOOL_WAIT, 'histogram', 's'),
  findings: promName(METRIC_FINDINGS, 'counter', ''),
} as const;

/** Prometheus label names of the attributes. */
export const LABEL = {
  threadId: 'thread_id',
  threadName: 'thread_name',
  file: 'code_file_path',
  line: 'code_line_number',
  function: 'code_function_name',
  api: 'asyncdebug_api',
  kind: 'asyncdebug_finding_kind',
  state: 'nodejs_eventloop_state',
  scope: 'otel_scope_name',
} as const;
