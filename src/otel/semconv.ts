// Every metric, span, log and attribute name the OpenTelemetry reporter uses, in one place.
// Names from the OpenTelemetry semantic conventions where they exist (Node.js runtime metrics, code.*,
// thread.*; status "development" there, so they are spelled out here rather than imported from
// @opentelemetry/semantic-conventions/incubating), ours under `asyncdebug.*`. The dashboards in
// dashboards/ and the Prometheus names in docs/otel.md follow from these.

/** The instrumentation scope (meter, tracer and logger name). */
export const SCOPE = 'asyncdebug';

// --- Metrics of the semantic conventions (runtime/nodejs-metrics): gauges in seconds, ELU in 1 ---
export const METRIC_DELAY = {
  min: 'nodejs.eventloop.delay.min',
  max: 'nodejs.eventloop.delay.max',
  mean: 'nodejs.eventloop.delay.mean',
  p50: 'nodejs.eventloop.delay.p50',
  p90: 'nodejs.eventloop.delay.p90',
  p99: 'nodejs.eventloop.delay.p99',
} as const;
export const METRIC_UTILIZATION = 'nodejs.eventloop.utilization';
/** Counter (seconds), split by ATTR_EVENTLOOP_STATE = active | idle. */
export const METRIC_TIME = 'nodejs.eventloop.time';
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
/** Counter of synchronous API calls after start-up, by API and site. */
export const METRIC_SYNC_IO_CALLS = 'asyncdebug.sync_io.calls';
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

/** The site value that stands for every site past the first N (bounded cardinality). */
export const OTHER = 'other';

// --- Spans and logs ---
export const SPAN_BLOCK = 'event_loop.block';
/** Log records carry this event name (the logs API's eventName). */
export const EVENT_FINDING = 'asyncdebug.finding';

/** Bucket boundaries (seconds) for the block-duration and pool-wait histograms. */
export const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * How these names read in Prometheus, as @opentelemetry/exporter-prometheus writes them (dots become
 * underscores, counters end in _total, no unit suffix; every series also has otel_scope_name, and the
 * resource is the target_info series). The dashboards use these.
 */
export const PROMETHEUS = {
  delay: (key: keyof typeof METRIC_DELAY) => METRIC_DELAY[key].replace(/\./g, '_'),
  utilization: 'nodejs_eventloop_utilization',
  time: 'nodejs_eventloop_time_total',
  blocks: 'asyncdebug_loop_blocks_total',
  blockDuration: 'asyncdebug_loop_block_duration',
  blocked: 'asyncdebug_loop_blocked',
  starved: 'asyncdebug_loop_starved_total',
  syncIo: 'asyncdebug_sync_io_calls_total',
  unawaited: 'asyncdebug_promises_unawaited_total',
  threadpoolWait: 'asyncdebug_threadpool_wait',
  findings: 'asyncdebug_findings_total',
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
} as const;
