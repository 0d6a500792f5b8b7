// Every PromQL expression of the Grafana dashboards (and every variable query) returns asyncdebug's data
// from a real Prometheus server (Debian's `prometheus` package) scraping one fixture app that blocks and
// runs its own OpenTelemetry SDK with @opentelemetry/instrumentation-runtime-node beside asyncdebug's
// otel reporter (whose metrics once had runtime-node's names). Prometheus scrapes the app twice: as it
// is (job shared-app), and through a loopback proxy that renames the metrics the way an OpenTelemetry
// Collector's Prometheus exporters do (job via-collector: `_seconds`, `_ratio`). All servers listen on
// loopback ports of their own, Prometheus keeps its data in a temp dir, and all are stopped when the
// file is done.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { accessSync, constants, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ROOT, runNode, tempDir, type RunResult } from '../helpers.js';
import { freePort, sleep } from './otel-helpers.js';
import { SCOPE } from '../../src/otel/semconv.js';

const JOBS = ['shared-app', 'via-collector'] as const;

/**
 * The names an OpenTelemetry Collector's `prometheus` / `prometheusremotewrite` exporter gives (with its
 * default add_metric_suffixes): the unit goes into the name before the type's suffix, `s` as
 * `_seconds`, `1` on a gauge as `_ratio`; a unit in braces (`{call}`) adds nothing. Applied to the
 * exposition text the app serves, whose `# UNIT` lines give each family's unit.
 */
function collectorNames(text: string): string {
  const units = new Map<string, string>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# (UNIT|TYPE) (\S+) (\S+)/.exec(line);
    if (m) (m[1] === 'UNIT' ? units : types).set(m[2]!, m[3]!);
  }
  const renamed = new Map<string, string>();
  for (const [family, type] of types) {
    const unit = units.get(family);
    const word = unit === 's' ? '_seconds' : unit === '1' && type === 'gauge' ? '_ratio' : '';
    if (!word) continue;
    const total = type === 'counter' && family.endsWith('_total') ? '_total' : '';
    renamed.set(family, `${family.slice(0, family.length - total.length)}${word}${total}`);
  }
  return text.split('\n').map((line) => {
    const comment = /^(# (?:HELP|UNIT|TYPE) )(\S+)(.*)$/.exec(line);
    if (comment) return `${comment[1]}${renamed.get(comment[2]!) ?? comment[2]}${comment[3]}`;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(.*)$/.exec(line);
    if (!sample) return line;
    const name = sample[1]!;
    for (const part of ['', '_bucket', '_sum', '_count']) {
      const to = renamed.get(name.slice(0, name.length - part.length));
      if (name.endsWith(part) && to) return `${to}${part}${sample[2]}`;
    }
    return line;
  }).join('\n');
}

/** Prometheus from PATH (CI installs Debian's package in .ci/run), or a clear way to get it. */
function findPrometheus(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'prometheus');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error('these tests need a Prometheus server on PATH: `apt-get install prometheus` (Debian; .ci/run does it), or put a `prometheus` binary on PATH');
}

interface Panel { title?: string; targets?: Array<{ expr?: string; refId?: string }>; panels?: Panel[] }
interface Dashboard { title: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query?: unknown }> } }

const dashboards = readdirSync(join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json')).map((f) => ({ file: f, json: JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')) as Dashboard }));

/** Grafana's variables as the default "All" selection (or one job) and fixed intervals. */
function substitute(expr: string, job = '.*'): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '30s')
    .replace(/\$__range|\$\{__range\}/g, '5m')
    .replace(/\$__interval|\$\{__interval\}/g, '15s')
    .replace(/\$\{?job\}?/g, job)
    .replace(/\$\{?(instance|thread)\}?/g, '.*');
}

let prometheus: ChildProcess | null = null;
let proxy: Server | null = null;
let app: Promise<RunResult> | null = null;
let stopApp: () => void = () => {};
let promUrl = '';
let promLog = '';

beforeAll(async () => {
  const binary = findPrometheus();
  const appPort = await freePort();
  const proxyPort = await freePort();
  const promPort = await freePort();
  const dir = tempDir('asyncdebug-prometheus-');
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    `  - job_name: ${JOBS[0]}`,
    '    static_configs:',
    `      - targets: ['127.0.0.1:${appPort}']`,
    `  - job_name: ${JOBS[1]}`,
    '    static_configs:',
    `      - targets: ['127.0.0.1:${proxyPort}']`,
    '',
  ].join('\n'));
  let stop = false;
  stopApp = () => (stop = true);
  app = runNode(fixture('otel-runtime-node.mjs'), {
    nodeArgs: ['--expose-gc', '--import', 'asyncdebug'],
    env: { ASYNC_DEBUG: '1', ASYNC_DEBUG_REPORTERS: 'json,otel', PROMETHEUS_PORT: String(appPort) },
    killWhen: () => stop,
    killSignal: 'SIGTERM',
    timeoutMs: 150_000,
  });
  proxy = createServer((req, res) => {
    fetch(`http://127.0.0.1:${appPort}/metrics`).then((r) => r.text()).then((text) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(collectorNames(text));
    }, () => {
      res.statusCode = 503;
      res.end();
    });
  });
  await new Promise<void>((done) => proxy!.listen(proxyPort, '127.0.0.1', done));
  prometheus = spawn(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  prometheus.stderr!.on('data', (d) => (promLog += d));
  promUrl = `http://127.0.0.1:${promPort}`;
  for (let i = 0; i < 100; i++) {
    await sleep(200);
    try {
      if ((await fetch(`${promUrl}/-/ready`)).ok) return;
    } catch {
      // starting
    }
  }
  throw new Error(`Prometheus did not get ready:\n${promLog}`);
}, 60_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  proxy?.close();
  stopApp();
  await app;
});

async function instant(expr: string, at?: number): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}${at ? `&time=${at}` : ''}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

/** label_values(selector, label): the label's values on the series the selector matches. */
async function labelValues(query: string, job?: string): Promise<string[]> {
  const m = /^label_values\((.*),\s*([a-zA-Z_]+)\)$/.exec(query.trim());
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  const res = await fetch(`${promUrl}/api/v1/series?match[]=${encodeURIComponent(substitute(m[1]!, job))}`);
  const body = (await res.json()) as { status: string; data: Array<Record<string, string>> };
  return [...new Set(body.data.map((s) => s[m[2]!]).filter((v): v is string => v !== undefined))];
}

function expressions(d: Dashboard): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${p.title} / ${t.refId}`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  return out;
}

/** Whether a result has a number a panel can draw (not only NaN). */
const hasData = (result: Array<{ value: [number, string] }>) => result.some((r) => Number.isFinite(Number(r.value[1])));

describe.each(dashboards)('dashboards/$file against a real Prometheus', ({ json }) => {
  it('has a datasource variable, and every panel uses it', () => {
    expect(json.templating.list.find((v) => v.type === 'datasource')).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const all = expressions(json);
    expect(all.length).toBeGreaterThan(10);
  });

  it('every PromQL expression and every variable query returns data, scraped directly and through a Collector\'s names', async () => {
    const all = expressions(json);
    const variables = json.templating.list.filter((v) => v.type === 'query').map((v) => ({ name: v.name, query: String(v.query) }));
    // Until every expression has data for both jobs (rates need two scrapes in their window; a finding
    // kind needs its first occurrence), or the time is up: then the empty ones are the failure.
    let empty: string[] = [];
    for (let round = 0; round < 45; round++) {
      empty = [];
      for (const job of JOBS) {
        for (const { where, expr } of all) if (!hasData(await instant(substitute(expr, job)))) empty.push(`${job}: ${where}: ${expr}`);
        for (const v of variables) if ((await labelValues(v.query, job)).length === 0) empty.push(`${job}: variable ${v.name}: ${v.query}`);
      }
      if (empty.length === 0) break;
      await sleep(2000);
    }
    expect(empty, `no data from Prometheus for these (its log: ${promLog.slice(0, 2000)})`).toEqual([]);
    // The per-process and per-thread choices carry this process and both of its threads.
    const jobVariable = variables.find((v) => v.name === 'job')!.query;
    expect((await labelValues(jobVariable)).sort()).toEqual([...JOBS]);
    const threadVariable = variables.find((v) => v.name === 'thread')!.query;
    expect((await labelValues(threadVariable, JOBS[0])).length).toBe(2);
    // The Collector's spelling was the one scraped through the proxy (the dashboard matched it, not the other).
    expect(hasData(await instant('asyncdebug_eventloop_delay_p99_seconds{job="via-collector"}'))).toBe(true);
    expect(hasData(await instant('asyncdebug_eventloop_delay_p99{job="via-collector"}'))).toBe(false);
  }, 150_000);

  it("no panel takes another library's series: runtime-node's loop metrics are in the same Prometheus, and no query matches them", async () => {
    const others = await instant(`{__name__=~"nodejs_eventloop_delay_p99(_seconds)?", otel_scope_name!="${SCOPE}"}`);
    expect(others.map((r) => r.metric.job).sort()).toEqual([...JOBS]);
    expect(others.every((r) => r.metric.otel_scope_name === '@opentelemetry/instrumentation-runtime-node')).toBe(true);
    // Every expression with its scope matcher turned around (series of any other scope) has nothing.
    const mixed: string[] = [];
    for (const { where, expr } of expressions(json)) {
      const other = substitute(expr).replaceAll(`otel_scope_name="${SCOPE}"`, `otel_scope_name!="${SCOPE}"`);
      expect(other).not.toBe(substitute(expr)); // every expression filters by the scope
      if (hasData(await instant(other))) mixed.push(`${where}: ${other}`);
    }
    expect(mixed).toEqual([]);
    // The p99 panel shows asyncdebug's number for the main thread, not runtime-node's.
    const p99 = expressions(json).find((e) => e.where.startsWith('Loop delay p99'))!.expr;
    const at = Date.now() / 1000 - 2; // one moment for both queries: the gauge moves with each scrape
    const shown = await instant(substitute(p99, JOBS[0]), at);
    const ours = await instant(`asyncdebug_eventloop_delay_p99{job="${JOBS[0]}", thread_id="0"}`, at);
    expect(ours).toHaveLength(1);
    expect(shown.find((r) => r.metric.thread_id === '0')?.value[1]).toBe(ours[0]?.value[1]);
  });
});
