// The otel reporter in real Node processes with the agent preloaded: through the app's own SDK (main
// thread), as a standalone Prometheus endpoint and as an OTLP/HTTP exporter (in the watchdog).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fixture, markerLine, runNode, type RunResult } from '../helpers.js';
import * as S from '../../src/otel/semconv.js';
import { OTEL_EXIT_EXPORT_MS } from '../../src/reporters/reporter-list.js';
import { freePort, lastValues, otlpReceiver, sleep } from './otel-helpers.js';

interface SdkOutput {
  metrics: Array<{ name: string; unit: string; points: Array<{ attributes: Record<string, unknown>; value: unknown }> }>;
  spans: Array<{ name: string; spanId: string; traceId: string; parent: string | null; attributes: Record<string, unknown> }>;
  logs: Array<{ body: string; attributes: Record<string, unknown>; traceId: string | null }>;
}

// The CommonJS app shares the reporter's build of @opentelemetry/api; the ESM app registers through the other.
describe.each(['otel-sdk-app.cjs', 'otel-sdk-app-esm.mjs'])('through the app\'s own OpenTelemetry SDK (ASYNC_DEBUG_REPORTERS=otel): %s', (app) => {
  let run: RunResult;
  let out: SdkOutput;

  it('the app runs as without the agent: exit code 0, nothing on stderr, its own output intact', async () => {
    run = await runNode(fixture(app), { env: { ASYNC_DEBUG_REPORTERS: 'otel' } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    out = JSON.parse(run.stdout) as SdkOutput;
  });

  it("metrics under asyncdebug's names, with thread and code site", () => {
    const names = out.metrics.map((m) => m.name);
    for (const name of [...Object.values(S.METRIC_DELAY), S.METRIC_UTILIZATION, S.METRIC_TIME, S.METRIC_BLOCKS, S.METRIC_BLOCK_DURATION, S.METRIC_FINDINGS]) expect(names).toContain(name);
    const blocks = out.metrics.find((m) => m.name === S.METRIC_BLOCKS)!;
    // The app's three; a loaded machine may add a block no application frame was seen in (no code site).
    const atApp = blocks.points.filter((p) => p.attributes[S.ATTR_CODE_FILE_PATH] !== undefined);
    const total = atApp.reduce((n, p) => n + Number(p.value), 0);
    expect(total, JSON.stringify(atApp)).toBe(3);
    for (const p of atApp) {
      expect(p.attributes[S.ATTR_THREAD_ID]).toBe(0);
      expect(p.attributes[S.ATTR_CODE_FILE_PATH]).toBe(fixture(app));
    }
    const p99 = out.metrics.find((m) => m.name === S.METRIC_DELAY.p99)!;
    expect(p99.unit).toBe('s');
    expect(Number(p99.points[0]!.value)).toBeLessThan(10); // seconds, not ms or ns
  });

  it('each block is a span parented to the request span that was active, also after an await; the one outside any request is a root', () => {
    const requests = new Map(out.spans.filter((s) => s.name.startsWith('GET ')).map((s) => [s.name, s]));
    const blocks = out.spans.filter((s) => s.name === S.SPAN_BLOCK && s.attributes[S.ATTR_CODE_FILE_PATH] !== undefined);
    expect(blocks, JSON.stringify(blocks.map((b) => b.attributes))).toHaveLength(3);
    const [slow, afterAwait, outside] = blocks;
    expect(slow!.parent).toBe(requests.get('GET /slow')!.spanId);
    expect(slow!.traceId).toBe(requests.get('GET /slow')!.traceId);
    expect(afterAwait!.parent).toBe(requests.get('GET /after-await')!.spanId);
    expect(outside!.parent).toBeNull();
    const stack = String(slow!.attributes[S.ATTR_CODE_STACKTRACE]);
    expect(stack).toContain(`${app}:${markerLine(fixture(app), '@block-sync')}:`);
  });

  it('a log record per finding, in the trace of the request it blocked', () => {
    const blockLogs = out.logs.filter((l) => l.attributes[S.ATTR_KIND] === 'block' && l.attributes[S.ATTR_CODE_FILE_PATH] !== undefined);
    expect(blockLogs).toHaveLength(3);
    const slowTrace = out.spans.find((s) => s.name === 'GET /slow')!.traceId;
    expect(blockLogs[0]!.traceId).toBe(slowTrace);
    expect(blockLogs[0]!.body).toMatch(/blocked for \d+ ms/);
  });
});

describe('with @opentelemetry/instrumentation-http', () => {
  it('a block in a request handler is a span inside the server span the instrumentation made', async () => {
    const run = await runNode(fixture('otel-http-instrumented.cjs'), { env: { ASYNC_DEBUG_REPORTERS: 'otel' } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const spans = JSON.parse(run.stdout) as Array<{ name: string; kind: number; spanId: string; parent: string | null; attributes: Record<string, unknown> }>;
    const server = spans.find((s) => s.kind === 1 /* SpanKind.SERVER */)!;
    // the handler's block (a site-less block can come first: on Node 22 the client's first connect
    // sometimes holds the loop in node:net's address filtering, outside any request)
    const block = spans.find((s) => s.name === S.SPAN_BLOCK && s.attributes[S.ATTR_CODE_FUNCTION_NAME] === 'renderInvoice')!;
    expect(server).toBeDefined();
    expect(block, JSON.stringify(spans)).toBeDefined();
    expect(block.parent).toBe(server.spanId);
    expect(block.attributes[S.ATTR_CODE_FUNCTION_NAME]).toBe('renderInvoice');
    expect(block.attributes[S.ATTR_CODE_LINE_NUMBER]).toBe(markerLine(fixture('otel-http-instrumented.cjs')));
  });
});

describe('with @opentelemetry/instrumentation-http, overlapping requests', () => {
  // Default mode names the request on Node 24+; before, debug mode's probe does.
  const env = Number(process.versions.node.split('.')[0]) >= 24 ? {} : { ASYNC_DEBUG: '1' };
  it('each block span is a child of its own request\'s server span and lies inside it', async () => {
    const run = await runNode(fixture('otel-requests.cjs'), { env: { ASYNC_DEBUG_REPORTERS: 'otel', ...env }, timeoutMs: 30_000 });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    type Out = { name: string; kind: number; spanId: string; parent: string | null; start: number; end: number; attributes: Record<string, unknown> };
    const spans = JSON.parse(run.stdout) as Out[];
    const servers = new Map(spans.filter((s) => s.kind === 1 /* SpanKind.SERVER */).map((s) => [s.spanId, s]));
    const made = spans.filter((s) => s.name === S.SPAN_BLOCK && s.attributes[S.ATTR_CODE_FUNCTION_NAME] === 'renderUser');
    expect(made.length, JSON.stringify(spans)).toBeGreaterThanOrEqual(2);
    const blocked = new Set<unknown>();
    for (const b of made) {
      const parent = servers.get(b.parent ?? '');
      expect(parent, `block span ${JSON.stringify(b)} has no server span parent`).toBeDefined();
      // its own request: the path the block names is the path of the server span it is under
      expect(b.attributes[S.ATTR_URL_PATH]).toMatch(/^\/users\/[123]$/);
      expect(parent!.attributes['url.path'] ?? parent!.attributes['http.target']).toBe(b.attributes[S.ATTR_URL_PATH]);
      expect(b.start).toBeGreaterThanOrEqual(parent!.start);
      expect(b.end).toBeLessThanOrEqual(parent!.end);
      blocked.add(b.attributes[S.ATTR_URL_PATH]);
    }
    expect(blocked.has('/users/3')).toBe(true);
  }, 40_000);
});

/** Runs otel-blocker.mjs until `until` resolves; returns its result. */
function blocker(env: Record<string, string>, until: Promise<unknown>): Promise<RunResult> {
  let stop = false;
  void until.finally(() => (stop = true));
  return runNode(fixture('otel-blocker.mjs'), {
    nodeArgs: ['--expose-gc', '--import', 'asyncdebug'],
    env: { ASYNC_DEBUG: '1', ASYNC_DEBUG_REPORTERS: 'json', ...env },
    killWhen: () => stop,
    killSignal: 'SIGTERM',
    timeoutMs: 90_000,
  });
}

async function scrape(port: number, path = '/metrics'): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
}

describe('standalone Prometheus endpoint (ASYNC_DEBUG_OTEL=prometheus)', () => {
  it('serves /metrics on 127.0.0.1 with loop health per thread, blocks by site, sync I/O by API, unawaited promises, pool waits', async () => {
    const port = await freePort();
    let text = '';
    let notFound = 0;
    const done = (async () => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        await sleep(200);
        try {
          text = (await scrape(port)).text;
        } catch {
          continue; // not listening yet
        }
        if (['unawaited_total', 'threadpool_wait_count', 'code_function_name="parseInput"', 'code_function_name="renderReport"'].every((s) => text.includes(s)) && /blocks_total\{[^}]*thread_name="cruncher"/.test(text)) break;
      }
      notFound = await scrape(port, '/other').then((r) => r.status, () => 0);
    })();
    const run = await blocker({ ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_PROMETHEUS_PORT: String(port) }, done);
    await done;
    expect(run.stderr).toBe('');
    expect(text, `no complete scrape (exit ${run.code ?? run.signal})`).toContain('asyncdebug_loop_blocks_total');
    expect(notFound).toBe(404);
    const series = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
    const file = fixture('otel-blocker.mjs');
    expect(series(S.PROMETHEUS.delay('p99').name)).toContainEqual(expect.stringMatching(/thread_id="0",thread_name="main"/));
    expect(series(S.PROMETHEUS.utilization.name)).toContainEqual(expect.stringMatching(/thread_name="cruncher"/));
    expect(series(S.PROMETHEUS.time.name)).toContainEqual(expect.stringContaining('nodejs_eventloop_state="idle"'));
    const blocks = series(S.PROMETHEUS.blocks.name);
    expect(blocks).toContainEqual(expect.stringContaining(`code_file_path="${file}",code_line_number="${markerLine(file, '@block-render')}",code_function_name="renderReport"`));
    expect(blocks).toContainEqual(expect.stringContaining(`code_line_number="${markerLine(file, '@block-parse')}",code_function_name="parseInput"`));
    expect(blocks).toContainEqual(expect.stringMatching(/thread_id="\d+",thread_name="cruncher"/));
    expect(series(S.PROMETHEUS.syncIo.name)).toContainEqual(expect.stringContaining('asyncdebug_api="fs.readFileSync"'));
    expect(series(S.PROMETHEUS.unawaited.name)).toContainEqual(expect.stringContaining(`code_line_number="${markerLine(file, '@unawaited')}"`));
    expect(series(`${S.PROMETHEUS.threadpoolWait.name}_count`)).toHaveLength(1);
    expect(series(`${S.PROMETHEUS.blockDuration.name}_bucket`).length).toBeGreaterThan(0);
  }, 120_000);

  it('an app that ends ends as before: its exit code, no port left open, nothing kept alive', async () => {
    const port = await freePort();
    const run = await runNode(fixture('otel-linger.mjs'), { env: { ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_PROMETHEUS_PORT: String(port), LINGER_PORT: String(port), LINGER_MS: '30000' }, timeoutMs: 60_000 });
    expect(run.stdout).toBe('served\n');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('');
    await expect(scrape(port)).rejects.toThrow();
  }, 90_000);

  it("start({ otel: 'prometheus' }) from asyncdebug/api serves /metrics as the variable does", async () => {
    const port = await freePort();
    const run = await runNode(fixture('otel-api-start.mjs'), { nodeArgs: [], env: { LINGER_PORT: String(port), LINGER_MS: '30000' }, timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('served\n');
    expect(run.code).toBe(3);
  }, 90_000);

  it('a port in use is one warning line; the app runs on', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((done) => busy.once('listening', done));
    const port = (busy.address() as AddressInfo).port;
    try {
      // The warning comes once the watchdog has loaded the exporter: the app lives 8 s for it.
      const run = await runNode(fixture('otel-linger.mjs'), { env: { ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_PROMETHEUS_PORT: String(port), LINGER_MS: '8000' } });
      expect(run.code).toBe(3);
      const lines = run.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^asyncdebug: cannot serve Prometheus metrics on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
      expect(run.lines.filter((l) => l.kind === 'block').length).toBeGreaterThan(0);
    } finally {
      busy.close();
    }
  });
});

describe('standalone OTLP/HTTP export (ASYNC_DEBUG_OTEL=otlp)', () => {
  it('metrics, block spans and finding logs reach a loopback receiver at OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const receiver = await otlpReceiver();
    const metricNames = () => new Set(receiver.metrics().map((m) => m.name));
    const stackOf = (span: { attributes: Array<{ key: string; value: Record<string, unknown> }> }) => String(span.attributes.find((a) => a.key === S.ATTR_CODE_STACKTRACE)?.value.stringValue ?? '');
    const mainBlock = () => receiver.spans().find((s) => s.name === S.SPAN_BLOCK && stackOf(s).includes('otel-blocker.mjs'));
    const done = (async () => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        await sleep(200);
        if (metricNames().has(S.METRIC_BLOCKS) && metricNames().has(S.METRIC_DELAY.p99) && mainBlock() && receiver.logs().length > 0) return;
      }
    })();
    try {
      const run = await blocker({
        ASYNC_DEBUG_OTEL: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-test=asyncdebug',
        OTEL_SERVICE_NAME: 'blocker-fixture',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
      }, done);
      expect(run.stderr).toBe('');
    } finally {
      receiver.close();
    }
    expect(metricNames()).toContain(S.METRIC_BLOCKS);
    expect(metricNames()).toContain(S.METRIC_UTILIZATION);
    const resource = receiver.bodies['/v1/metrics'][0]!.resourceMetrics![0]!.resource.attributes;
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'blocker-fixture' } });
    // A main-thread block's span, with the stack in the fixture (the worker's blocks are spans too).
    expect(mainBlock()).toBeDefined();
    expect(receiver.logs().some((l) => l.attributes.some((a) => a.key === S.ATTR_KIND && a.value.stringValue === 'block'))).toBe(true);
    expect(receiver.headers).toContain('asyncdebug');
  }, 120_000);

  it('at exit, the last send carries the exit\'s findings and exact counts; the exit code stays the app\'s', async () => {
    const receiver = await otlpReceiver();
    const file = fixture('otel-exit.mjs');
    let run: RunResult;
    try {
      // No periodic export in the process's life (60 s interval): only the send at exit can deliver.
      run = await runNode(file, {
        nodeArgs: ['--import', 'asyncdebug'],
        env: { ASYNC_DEBUG: '1', ASYNC_DEBUG_REPORTERS: 'json', ASYNC_DEBUG_OTEL: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`, OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_BLRP_SCHEDULE_DELAY: '60000' },
        timeoutMs: 60_000,
      });
    } finally {
      receiver.close();
    }
    expect(run.code).toBe(5);
    expect(run.stdout).toBe('done\n');
    expect(run.stderr).toBe('');
    const main = { [S.ATTR_THREAD_ID]: 0, [S.ATTR_THREAD_NAME]: 'main' };
    // 37 calls: the count as it is (the site's finding lines said 32 before its line at exit).
    expect(lastValues(receiver.metrics(), S.METRIC_SYNC_IO_CALLS).get(JSON.stringify({ ...main, [S.ATTR_API]: 'fs.readFileSync' }))).toBe(37);
    const site = [...lastValues(receiver.metrics(), S.METRIC_SYNC_IO_SITE_CALLS).entries()];
    expect(site).toEqual([[expect.stringContaining(`"${S.ATTR_CODE_LINE_NUMBER}":${markerLine(file, '@sync')}`), 37]]);
    // A finding made at exit, counted and logged.
    expect(lastValues(receiver.metrics(), S.METRIC_FINDINGS).get(JSON.stringify({ ...main, [S.ATTR_KIND]: 'never-settled' }))).toBe(1);
    expect(receiver.logs().some((l) => l.attributes.some((a) => a.key === S.ATTR_KIND && a.value.stringValue === 'never-settled'))).toBe(true);
  }, 90_000);

  it('a receiver that never answers holds the exit at most OTEL_EXIT_EXPORT_MS: the process ends, with its exit code', async () => {
    const silent = createServer(() => {}); // takes the request, never answers
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const port = (silent.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const run = await runNode(fixture('otel-exit.mjs'), {
        nodeArgs: ['--import', 'asyncdebug'],
        env: { ASYNC_DEBUG_OTEL: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, EXIT_AFTER_MS: '1500' },
        timeoutMs: 60_000,
      });
      expect(run.signal).toBeNull();
      expect(run.code).toBe(5);
      // 1.5 s of work and at most 2 s of waiting; the rest is slack for a loaded machine (the
      // exporter's own timeout is 10 s and it retries: an unbounded wait would take longer).
      expect(Date.now() - started).toBeLessThan(OTEL_EXIT_EXPORT_MS + 8_000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  }, 90_000);
});
