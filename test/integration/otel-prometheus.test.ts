// Every PromQL expression of the Grafana dashboards (and every variable query) returns data from a real
// Prometheus server (Debian's `prometheus` package) scraping a fixture app that blocks, with the agent
// serving /metrics (ASYNC_DEBUG_OTEL=prometheus). Both servers listen on loopback ports of their own,
// Prometheus keeps its data in a temp dir, and both are stopped when the file is done.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ROOT, runNode, tempDir, type RunResult } from '../helpers.js';
import { freePort, sleep } from './otel-helpers.js';

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

/** Grafana's variables as the default "All" selection and fixed intervals. */
function substitute(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '30s')
    .replace(/\$__range|\$\{__range\}/g, '5m')
    .replace(/\$__interval|\$\{__interval\}/g, '15s')
    .replace(/\$\{?(job|instance|thread)\}?/g, '.*');
}

let prometheus: ChildProcess | null = null;
let app: Promise<RunResult> | null = null;
let stopApp: () => void = () => {};
let promUrl = '';
let promLog = '';

beforeAll(async () => {
  const binary = findPrometheus();
  const appPort = await freePort();
  const promPort = await freePort();
  const dir = tempDir('asyncdebug-prometheus-');
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: asyncdebug-fixture',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${appPort}']`,
    '',
  ].join('\n'));
  let stop = false;
  stopApp = () => (stop = true);
  app = runNode(fixture('otel-blocker.mjs'), {
    nodeArgs: ['--expose-gc', '--import', 'asyncdebug'],
    env: { ASYNC_DEBUG: '1', ASYNC_DEBUG_REPORTERS: 'json', ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_PROMETHEUS_PORT: String(appPort) },
    killWhen: () => stop,
    killSignal: 'SIGTERM',
    timeoutMs: 150_000,
  });
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
  stopApp();
  await app;
});

async function instant(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

/** label_values(selector, label): the label's values on the series the selector matches. */
async function labelValues(query: string): Promise<string[]> {
  const m = /^label_values\((.*),\s*([a-zA-Z_]+)\)$/.exec(query.trim());
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  const res = await fetch(`${promUrl}/api/v1/series?match[]=${encodeURIComponent(substitute(m[1]!))}`);
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

  it('every PromQL expression and every variable query returns data', async () => {
    const all = expressions(json);
    const variables = json.templating.list.filter((v) => v.type === 'query').map((v) => ({ name: v.name, query: String(v.query) }));
    // Until every expression has data (rates need two scrapes in their window; a finding kind needs
    // its first occurrence), or the time is up: then the empty ones are the failure.
    let empty: string[] = [];
    for (let round = 0; round < 45; round++) {
      empty = [];
      for (const { where, expr } of all) if (!hasData(await instant(substitute(expr)))) empty.push(`${where}: ${expr}`);
      for (const v of variables) if ((await labelValues(v.query)).length === 0) empty.push(`variable ${v.name}: ${v.query}`);
      if (empty.length === 0) break;
      await sleep(2000);
    }
    expect(empty, `no data from Prometheus for these (its log: ${promLog.slice(0, 2000)})`).toEqual([]);
    // The per-process and per-thread choices carry this process and both of its threads.
    expect(await labelValues('label_values(nodejs_eventloop_utilization, job)')).toEqual(['asyncdebug-fixture']);
    expect((await labelValues('label_values(nodejs_eventloop_utilization, thread_id)')).length).toBe(2);
  }, 150_000);
});
