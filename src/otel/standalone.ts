// Standalone export for an app with no OpenTelemetry SDK of its own (ASYNC_DEBUG_OTEL): the reporter
// builds its own providers in the watchdog worker, off the app's loop. `prometheus` serves /metrics on
// loopback (ASYNC_DEBUG_PROMETHEUS_HOST/PORT); `otlp` exports metrics, spans and logs over OTLP/HTTP
// (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT (the exporters read the standard OTEL_* variables themselves;
// OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER=none and OTEL_LOGS_EXPORTER=none are read here). Nothing
// here keeps the process alive: the server is unref'd, the SDK's timers are unref'd, and the worker is.
// Works with either SDK line the app installed (2.x with the 0.2xx exporters, 3.x with 0.3xx): where
// their constructors differ (sdk-logs' batch processor before 0.220), the installed version decides.
import { createServer, type Server } from 'node:http';
import type { Logger } from '@opentelemetry/api';
import type { Config } from '../config.js';
import { below, loadOptional, missingLine, packageVersion } from './optional-packages.js';
import { SCOPE } from './semconv.js';
import type { SinkSignals } from './sink.js';

type SdkMetrics = typeof import('@opentelemetry/sdk-metrics');
type Resources = typeof import('@opentelemetry/resources');
type Prometheus = typeof import('@opentelemetry/exporter-prometheus');
type OtlpMetrics = typeof import('@opentelemetry/exporter-metrics-otlp-http');
type OtlpTraces = typeof import('@opentelemetry/exporter-trace-otlp-http');
type OtlpLogs = typeof import('@opentelemetry/exporter-logs-otlp-http');
type SdkTrace = typeof import('@opentelemetry/sdk-trace');
type SdkLogs = typeof import('@opentelemetry/sdk-logs');
type Api = typeof import('@opentelemetry/api');

/** Records go nowhere (OTEL_LOGS_EXPORTER=none, or no logs packages); the API's own no-op is 1.10+ only. */
const noLogger = { emit() {} } as unknown as Logger;

export interface Standalone {
  signals: SinkSignals;
  /** Asks the exporters to send what they hold; settles when they did (or failed). */
  flush(): Promise<void>;
  close(): void;
}

function envNumber(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Serves the exporter's /metrics; unref'd, so it never keeps the process alive. */
function serve(exporter: InstanceType<Prometheus['PrometheusExporter']>, host: string, port: number, warn: (line: string) => void): Server {
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] === '/metrics') exporter.getMetricsRequestHandler(req, res);
    else {
      res.statusCode = 404;
      res.end('asyncdebug serves /metrics\n');
    }
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    warn(`cannot serve Prometheus metrics on ${host}:${port} (${err.code ?? err.message}); set ASYNC_DEBUG_PROMETHEUS_PORT to a free port (each process of the app needs its own)`);
  });
  server.listen({ host: host.replace(/^\[|\]$/g, ''), port }, () => {});
  server.unref();
  return server;
}

export async function createStandalone(config: Config, warn: (line: string) => void, load: <T>(name: string) => Promise<T | undefined> = loadOptional): Promise<Standalone | null> {
  const mode = config.otel;
  // The standard switch for every OpenTelemetry SDK.
  if (!mode || process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const [api, metricsSdk, resources] = await Promise.all([load<Api>('@opentelemetry/api'), load<SdkMetrics>('@opentelemetry/sdk-metrics'), load<Resources>('@opentelemetry/resources')]);
  if (mode === 'prometheus') {
    const prometheus = await load<Prometheus>('@opentelemetry/exporter-prometheus');
    if (!api || !metricsSdk || !prometheus || !resources) {
      warn(missingLine('ASYNC_DEBUG_OTEL=prometheus', ['@opentelemetry/api', '@opentelemetry/sdk-metrics', '@opentelemetry/resources', '@opentelemetry/exporter-prometheus']));
      return null;
    }
    if (!supported(resources, warn)) return null;
    const exporter = new prometheus.PrometheusExporter({ preventServerStart: true });
    const provider = new metricsSdk.MeterProvider({ resource: resourceOf(resources), readers: [exporter] });
    const server = serve(exporter, config.prometheusHost, config.prometheusPort, warn);
    return {
      signals: { meter: provider.getMeter(SCOPE), tracer: api.trace.getTracer(SCOPE), logger: noLogger, root: api.ROOT_CONTEXT },
      // Prometheus pulls: nothing to send.
      flush: () => Promise.resolve(),
      close() {
        server.close();
        void provider.shutdown().catch(() => {});
      },
    };
  }
  // otlp
  // OTEL_TRACES_EXPORTER=none / OTEL_LOGS_EXPORTER=none turn a signal off (and its packages are not loaded).
  const wanted = (name: string) => process.env[name]?.trim().toLowerCase() !== 'none';
  const spansOn = wanted('OTEL_TRACES_EXPORTER');
  const logsOn = wanted('OTEL_LOGS_EXPORTER');
  const none = Promise.resolve(undefined);
  const [otlpMetrics, sdkTrace, otlpTraces, sdkLogs, otlpLogs] = await Promise.all([
    load<OtlpMetrics>('@opentelemetry/exporter-metrics-otlp-http'),
    spansOn ? load<SdkTrace>('@opentelemetry/sdk-trace') : none,
    spansOn ? load<OtlpTraces>('@opentelemetry/exporter-trace-otlp-http') : none,
    logsOn ? load<SdkLogs>('@opentelemetry/sdk-logs') : none,
    logsOn ? load<OtlpLogs>('@opentelemetry/exporter-logs-otlp-http') : none,
  ]);
  if (!api || !metricsSdk || !otlpMetrics || !resources) {
    warn(missingLine('ASYNC_DEBUG_OTEL=otlp', ['@opentelemetry/api', '@opentelemetry/sdk-metrics', '@opentelemetry/resources', '@opentelemetry/exporter-metrics-otlp-http']));
    return null;
  }
  if (!supported(resources, warn)) return null;
  const missing: string[] = [];
  if (spansOn && (!sdkTrace || !otlpTraces)) missing.push('@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-http');
  if (logsOn && (!sdkLogs || !otlpLogs)) missing.push('@opentelemetry/sdk-logs', '@opentelemetry/exporter-logs-otlp-http');
  if (missing.length) warn(missingLine('the spans and log records of ASYNC_DEBUG_OTEL=otlp (metrics are exported)', missing));

  const resource = resourceOf(resources);
  const interval = envNumber('OTEL_METRIC_EXPORT_INTERVAL', 60_000);
  const reader = new metricsSdk.PeriodicExportingMetricReader({
    exporter: new otlpMetrics.OTLPMetricExporter(),
    exportIntervalMillis: interval,
    exportTimeoutMillis: Math.min(interval, envNumber('OTEL_METRIC_EXPORT_TIMEOUT', 30_000)),
  });
  const meters = new metricsSdk.MeterProvider({ resource, readers: [reader] });
  const tracers = sdkTrace && otlpTraces ? new sdkTrace.TracerProvider({ resource, spanProcessors: [new sdkTrace.BatchSpanProcessor({ exporter: new otlpTraces.OTLPTraceExporter() })] }) : null;
  const loggers = sdkLogs && otlpLogs ? new sdkLogs.LoggerProvider({ resource, processors: [logProcessor(sdkLogs, new otlpLogs.OTLPLogExporter())] }) : null;
  const all = [meters, tracers, loggers].filter((p) => p !== null);
  return {
    signals: {
      meter: meters.getMeter(SCOPE),
      tracer: tracers ? tracers.getTracer(SCOPE) : api.trace.getTracer(SCOPE),
      logger: loggers ? loggers.getLogger(SCOPE) : noLogger,
      root: api.ROOT_CONTEXT,
    },
    flush: () => Promise.all(all.map((p) => p.forceFlush().catch(() => {}))).then(() => {}),
    close() {
      for (const p of all) void p.shutdown().catch(() => {});
    },
  };
}

type LogExporter = ConstructorParameters<SdkLogs['BatchLogRecordProcessor']>[0]['exporter'];

/** sdk-logs before 0.220 takes (exporter, config); 0.220 on and 3.x take ({ exporter }). */
function logProcessor(sdkLogs: SdkLogs, exporter: LogExporter) {
  if (below(packageVersion('@opentelemetry/sdk-logs'), 0, 220)) {
    const Old = sdkLogs.BatchLogRecordProcessor as unknown as new (e: LogExporter) => InstanceType<SdkLogs['BatchLogRecordProcessor']>;
    return new Old(exporter);
  }
  return new sdkLogs.BatchLogRecordProcessor({ exporter });
}

/** SDK 1.x (`new Resource`, MeterProvider without `readers`) is not supported: one line says so. */
function supported(resources: Resources, warn: (line: string) => void): boolean {
  if (typeof resources.resourceFromAttributes === 'function') return true;
  warn(`the otel reporter needs the OpenTelemetry SDK 2.x or 3.x packages (found @opentelemetry/resources ${packageVersion('@opentelemetry/resources') ?? 'of another line'}); no OpenTelemetry export`);
  return false;
}

function resourceOf(r: Resources) {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over the defaults.
  const detected = r.detectResources({ detectors: [r.envDetector] });
  return r.defaultResource()
    .merge(r.resourceFromAttributes({ 'process.pid': process.pid, 'process.runtime.name': 'nodejs', 'process.runtime.version': process.versions.node }))
    .merge(detected);
}
