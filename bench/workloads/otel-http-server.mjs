// The hello-world HTTP server of http-server.mjs in an app that runs its own OpenTelemetry SDK: an
// AsyncLocalStorage context manager, a server span per request entered with startActiveSpan (through
// the context manager's `with`, which the otel reporter wraps), batch span export and periodic metric
// export to exporters that drop what they get. Prints "port <n>" once it is ready for load.
import { createServer } from 'node:http';
import { context, metrics, trace, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const drop = { export: (_items, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: drop })] }));
metrics.setGlobalMeterProvider(new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: { ...drop, selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE }, exportIntervalMillis: 1000 })],
}));
const tracer = trace.getTracer('bench');

const server = createServer((req, res) => {
  tracer.startActiveSpan('GET /', { kind: SpanKind.SERVER }, (span) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello world');
    span.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  // After the reporter has found the SDK (it looks every 20 ms at first).
  setTimeout(() => console.log(`port ${server.address().port}`), 300);
});

// The parent kills us; this only stops an orphan if the parent itself died.
setTimeout(() => process.exit(3), 120_000).unref();
