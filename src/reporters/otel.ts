// The OpenTelemetry reporter (ASYNC_DEBUG_REPORTERS=otel). Two places (reporters/reporter-list.ts):
// - `main` (ASYNC_DEBUG_OTEL unset): in the app's main thread, through @opentelemetry/api only, into
//   whatever SDK the app registered globally: its meter, tracer and logger providers, found when they
//   appear (the agent starts before the app's SDK does). A block's span is parented to the span that
//   was active when the blocking callback ran (otel/parenting.ts).
// - `hub` (ASYNC_DEBUG_OTEL=prometheus|otlp): in the watchdog worker, with providers of its own built
//   from the optional SDK packages (otel/standalone.ts), off the app's loop.
// It never throws into the app: a failure is one warning and the reporter goes quiet.
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import type * as Api from '@opentelemetry/api';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { createContextRing, type ContextRing } from '../otel/parenting.js';
import { requireFromApp } from '../otel/optional-packages.js';
import { SCOPE } from '../otel/semconv.js';
import { createSink, type Sink, type SinkSignals } from '../otel/sink.js';
import type { CreateReporter, Reporter, ReporterContext } from './reporter.js';

type ApiModule = typeof Api;
type LogsApi = { getLogger(name: string, version?: string): Api.Logger; getLoggerProvider?(): unknown };

/** How often the main-thread reporter looks for an SDK the app registered later (an unref'd timer). */
export const WATCH_MS = 1000;
/** ... and every EARLY_WATCH_MS for the first EARLY_LOOKS looks (about 5 s). */
const EARLY_WATCH_MS = 20;
const EARLY_LOOKS = 250;
/** After this long with no SDK registered, one warning says that nothing is exported. */
const NO_SDK_WARNING_MS = 5000;

const quiet: Reporter = { report() {} };
/** For an app whose API has no logs (before 1.10) and no @opentelemetry/api-logs. */
const noLogger = { emit() {} } as unknown as Api.Logger;

export const createReporter: CreateReporter = async (context) => {
  try {
    if (context.config.otel) return standalone(context);
    return await inApp(context);
  } catch (err) {
    context.warn(`the otel reporter could not start (${(err as Error)?.message ?? String(err)}); no OpenTelemetry export`);
    return quiet;
  }
};

function threadsOf(context: ReporterContext): { threads: () => readonly ThreadHealth[]; set(t: readonly ThreadHealth[]): void } {
  let last: readonly ThreadHealth[] = [];
  return {
    threads() {
      try {
        const now = context.health();
        if (now.length) return now;
      } catch {
        // the last numbers the hub gave
      }
      return last;
    },
    set(t) {
      last = t;
    },
  };
}

function guarded(sink: Sink, extra: Partial<Reporter> = {}, warn: (line: string) => void): Reporter {
  let on = true;
  const safe = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => {
    if (!on) return;
    try {
      fn(...a);
    } catch (err) {
      on = false;
      warn(`the otel reporter failed (${(err as Error)?.message ?? String(err)}) and is turned off`);
    }
  };
  return {
    report: safe((f: Finding) => sink.report(f)),
    health: safe((t: readonly ThreadHealth[]) => {
      extra.health?.(t);
      sink.note(t);
    }),
    flush: safe(() => extra.flush?.()),
    exportAtExit: () => (on && extra.exportAtExit ? extra.exportAtExit().catch(() => {}) : Promise.resolve()),
    close: safe(() => {
      on = false;
      extra.close?.();
      sink.close();
    }),
  };
}

/** Findings kept while the standalone exporter loads (the oldest are dropped past this). */
const MAX_WAITING = 2000;

/**
 * The standalone exporter, returned at once: the SDK packages take 0.5-2 s to load in the watchdog, and
 * the hub starts delivering (to every reporter, the console too) only once each reporter exists.
 * Findings that arrive meanwhile wait here, in order, and go to the exporter once it is built.
 */
function standalone(context: ReporterContext): Reporter {
  let live: Reporter | null = null;
  let closed = false;
  let waiting: Finding[] | null = [];
  let lastHealth: readonly ThreadHealth[] | null = null;
  const building = (async () => {
    try {
      // Loaded only here: the main-thread path loads no SDK and not the ESM build of the API.
      const { createStandalone } = await import('../otel/standalone.js');
      const made = await createStandalone(context.config, context.warn);
      if (!made || closed) {
        made?.close();
        waiting = null;
        return;
      }
      const threads = threadsOf(context);
      const sink = createSink(made.signals, { threads: threads.threads });
      const r = guarded(sink, { health: (t) => threads.set(t), exportAtExit: () => made.flush(), close: () => made.close() }, context.warn);
      for (const f of waiting ?? []) r.report(f);
      if (lastHealth) r.health?.(lastHealth);
      waiting = null;
      live = r;
    } catch (err) {
      waiting = null;
      context.warn(`the otel reporter could not start (${(err as Error)?.message ?? String(err)}); no OpenTelemetry export`);
    }
  })();
  return {
    report(f) {
      if (live) live.report(f);
      else if (waiting) {
        waiting.push(f);
        if (waiting.length > MAX_WAITING) waiting.shift();
      }
    },
    health(t) {
      if (live) live.health?.(t);
      else lastHealth = t;
    },
    // At exit, while the main thread waits: once the exporter is built (it may still be loading), it
    // sends what it holds, the exit's findings and counts among them.
    exportAtExit: () => building.then(() => live?.exportAtExit?.()),
    close() {
      closed = true;
      live?.close?.();
    },
  };
}

/** The @opentelemetry/api the app's SDK registered through: the app's own copy when it has one; undefined with none anywhere. */
function apiOfApp(): ApiModule | undefined {
  const own = requireFromApp<ApiModule>('@opentelemetry/api');
  if (own) return own;
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as ApiModule;
  } catch {
    return undefined;
  }
}

/** Said when no @opentelemetry/api is installed at all: the app cannot have registered an SDK. */
export const NO_API_LINE = 'ASYNC_DEBUG_REPORTERS=otel: @opentelemetry/api is not installed, so the app has no OpenTelemetry SDK to export through; install and register one (`npm install @opentelemetry/api @opentelemetry/sdk-node`), or set ASYNC_DEBUG_OTEL=prometheus or otlp for asyncdebug\'s own exporter (docs/otel.md)';

function logsOf(api: ApiModule): LogsApi | undefined {
  if ((api as { logs?: LogsApi }).logs) return (api as { logs: LogsApi }).logs;
  // An app on @opentelemetry/api < 1.10 registers its logger provider through @opentelemetry/api-logs.
  return requireFromApp<{ logs: LogsApi }>('@opentelemetry/api-logs')?.logs;
}

/** A provider that exports nothing: the API's no-op, or its proxy before any delegate was set. */
function isNoop(provider: unknown): boolean {
  const name = (provider as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? '';
  return name.startsWith('Noop') || name.startsWith('Proxy');
}

async function inApp(context: ReporterContext): Promise<Reporter> {
  if (!isMainThread) return quiet;
  const api = apiOfApp();
  if (!api) {
    context.warn(NO_API_LINE);
    return quiet;
  }
  const logs = logsOf(api);
  const started = Date.now();
  const threads = threadsOf(context);
  const signals = (): SinkSignals => ({
    meter: api.metrics.getMeter(SCOPE),
    tracer: api.trace.getTracer(SCOPE),
    logger: logs ? logs.getLogger(SCOPE) : noLogger,
    root: api.ROOT_CONTEXT,
  });
  const ring: ContextRing = createContextRing(api, context.config.slowMs);
  // The providers now registered: the app may register its own later, and through another copy of the
  // API than the one loaded here (ESM and CommonJS builds): the tracer and logger taken from this copy's
  // proxies would then never get a delegate, so they are taken again whenever a provider changes.
  const providers = () => [api.metrics.getMeterProvider(), api.trace.getTracerProvider(), logs?.getLoggerProvider?.()];
  let registered = providers();
  const sink = createSink(signals(), { threads: threads.threads, parentFor: (f, request) => ring.parentFor(f, request) });
  let warned = false;
  const hasSdk = () => {
    const tracing = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
    return !isNoop(api.metrics.getMeterProvider()) || (tracing.getDelegate ? !isNoop(tracing.getDelegate()) : false) || (logs?.getLoggerProvider ? !isNoop(logs.getLoggerProvider()) : false);
  };
  const look = () => {
    // The app registers its SDK after the agent started: take its meter provider (the metrics API has
    // no proxy) and wrap its context manager as soon as they appear.
    const now = providers();
    if (now.some((p, i) => p !== registered[i])) {
      registered = now;
      sink.use(signals());
    }
    ring.attach();
    if (!warned && Date.now() - started >= NO_SDK_WARNING_MS && !hasSdk()) {
      warned = true;
      context.warn('ASYNC_DEBUG_REPORTERS=otel: the app registered no OpenTelemetry SDK, so nothing is exported; set ASYNC_DEBUG_OTEL=prometheus or otlp for asyncdebug\'s own exporter');
    }
  };
  const tryLook = () => {
    try {
      look();
    } catch {
      // a provider in a bad state: try again next time
    }
  };
  tryLook();
  // An app sets up its SDK while its modules load, before it serves anything: looked for often at
  // first (a request served before its context manager is wrapped has no parent for its blocks), then
  // once a second. Unref'd timers: they keep nothing alive.
  let looks = 0;
  let timer = setInterval(() => {
    tryLook();
    if (++looks < EARLY_LOOKS) return;
    clearInterval(timer);
    timer = setInterval(tryLook, WATCH_MS);
    timer.unref();
  }, EARLY_WATCH_MS);
  timer.unref();
  const looking: Sink = {
    report(f) {
      look();
      sink.report(f);
    },
    note: (t) => sink.note(t),
    use: (s) => sink.use(s),
    close: () => sink.close(),
  };
  return guarded(looking, {
    close() {
      clearInterval(timer);
      ring.detach();
    },
  }, context.warn);
}
