// The Grafana dashboard over the metrics of the otel reporter, as typed code (Grafana's foundation
// SDK). `npm run dashboards` writes dashboards/asyncdebug.json from it; a unit test checks that the
// committed JSON is what this makes, and test/integration/otel-prometheus.test.ts runs every PromQL
// expression in it against a real Prometheus server scraping a fixture app that blocks.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, RowBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { histogramSeries as H, LABEL as L, PROMETHEUS as P, SCOPE } from '../src/otel/semconv.js';

const DS = { type: 'prometheus', uid: '${datasource}' };
/** asyncdebug's series only: another library may export metrics of similar names (runtime-node's nodejs.eventloop.*). */
const OURS = `${L.scope}="${SCOPE}"`;
/** asyncdebug's series of the chosen processes and threads. Each metric is matched under both of its
 *  Prometheus spellings (semconv.ts): scraped from the agent, or forwarded by an OpenTelemetry Collector. */
const SEL = `${OURS}, job=~"$job", instance=~"$instance", ${L.threadId}=~"$thread"`;
const THREAD = `${L.threadName}, ${L.threadId}`;
const SITE = `${L.function}, ${L.file}, ${L.line}`;
const LEGEND_THREAD = '{{instance}} {{thread_name}} (thread {{thread_id}})';

function query(expr: string, legend: string, refId = 'A'): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).legendFormat(legend).refId(refId).range();
}

function instant(expr: string, refId = 'A'): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).format(PromQueryFormat.Table).instant().refId(refId);
}

function timeseries(title: string, unit: string, description: string, targets: DataqueryBuilder[], w = 12): TimeseriesBuilder {
  const legend = new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom);
  const panel = new TimeseriesBuilder().title(title).description(description).unit(unit).datasource(DS).height(8).span(w).legend(legend);
  for (const t of targets) panel.withTarget(t);
  return panel;
}

function table(title: string, description: string, target: DataqueryBuilder): TableBuilder {
  return new TableBuilder().title(title).description(description).datasource(DS).height(8).span(12).withTarget(target);
}

function variable(name: string, label: string, expr: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DS)
    .query(expr)
    .definition(expr)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

export function buildDashboard(): unknown {
  const d = new DashboardBuilder('asyncdebug: event loop, blocks, sync I/O, promises, thread pool')
    .uid('asyncdebug-event-loop')
    .description('Metrics of the asyncdebug OpenTelemetry reporter (ASYNC_DEBUG_REPORTERS=otel), per process (job, instance) and thread: only series of the asyncdebug scope, scraped directly or forwarded by an OpenTelemetry Collector (with _seconds/_ratio suffixes).')
    .tags(['asyncdebug', 'nodejs', 'event-loop', 'opentelemetry'])
    .editable()
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(variable('job', 'Job', `label_values(${P.utilization.series(OURS)}, job)`))
    .withVariable(variable('instance', 'Process', `label_values(${P.utilization.series(`${OURS}, job=~"$job"`)}, instance)`))
    .withVariable(variable('thread', 'Thread', `label_values(${P.utilization.series(`${OURS}, job=~"$job", instance=~"$instance"`)}, ${L.threadId})`));

  d.withRow(new RowBuilder('Event loop'));
  d.withPanel(timeseries('Loop delay p99', 's', 'asyncdebug.eventloop.delay.p99: how late the heartbeat ran, the highest one-second p99 since the previous collection, per thread.', [
    query(`max by (instance, ${THREAD}) (${P.delay('p99').series(SEL)})`, LEGEND_THREAD),
  ]));
  d.withPanel(timeseries('Loop delay: max, p90, p50 (all threads)', 's', 'The worst thread of each process; max is the most since the previous collection.', [
    query(`max by (instance) (${P.delay('max').series(SEL)})`, '{{instance}} max', 'A'),
    query(`max by (instance) (${P.delay('p90').series(SEL)})`, '{{instance}} p90', 'B'),
    query(`max by (instance) (${P.delay('p50').series(SEL)})`, '{{instance}} p50', 'C'),
  ]));
  d.withPanel(timeseries('Event-loop utilization', 'percentunit', 'asyncdebug.eventloop.utilization: the share of time the loop ran callbacks since the previous collection.', [
    query(`max by (instance, ${THREAD}) (${P.utilization.series(SEL)})`, LEGEND_THREAD),
  ]));
  d.withPanel(timeseries('Loop time active', 'percentunit', 'rate of asyncdebug.eventloop.time{state=active}: seconds of callbacks per second.', [
    query(`sum by (instance, ${THREAD}) (rate(${P.time.series(`${SEL}, ${L.state}="active"`)}[$__rate_interval]))`, LEGEND_THREAD),
  ]));

  d.withRow(new RowBuilder('Blocks'));
  d.withPanel(timeseries('Blocked right now', 's', 'asyncdebug.loop.blocked: how long the loop of each thread has been blocked at the scrape (0 while it turns).', [
    query(`max by (instance, ${THREAD}) (${P.blocked.series(SEL)})`, LEGEND_THREAD),
  ]));
  d.withPanel(timeseries('Blocks by site', 'short', 'Blocks that ended in each interval, by the code site (the heaviest application frame).', [
    query(`sum by (${SITE}) (increase(${P.blocks.series(SEL)}[$__rate_interval]))`, '{{code_function_name}} {{code_file_path}}:{{code_line_number}}'),
  ]));
  d.withPanel(timeseries('Block duration p50, p95', 's', 'From the asyncdebug.loop.block.duration histogram.', [
    query(`histogram_quantile(0.95, sum by (le, instance) (rate(${H(P.blockDuration, '_bucket', SEL)}[$__rate_interval])))`, '{{instance}} p95', 'A'),
    query(`histogram_quantile(0.5, sum by (le, instance) (rate(${H(P.blockDuration, '_bucket', SEL)}[$__rate_interval])))`, '{{instance}} p50', 'B'),
  ]));
  d.withPanel(table('Top block sites', 'Seconds blocked per thread and code site since each process started.', instant(
    `topk(20, sum by (instance, ${THREAD}, ${SITE}) (${H(P.blockDuration, '_sum', SEL)}))`,
  )));

  d.withRow(new RowBuilder('Sync I/O, promises, thread pool'));
  d.withPanel(timeseries('Sync I/O calls by API', 'short', 'asyncdebug.sync_io.calls: synchronous I/O and CPU-heavy sync calls after start-up, per interval, counted as they happen.', [
    query(`sum by (${L.api}) (increase(${P.syncIo.series(SEL)}[$__rate_interval]))`, '{{asyncdebug_api}}'),
  ]));
  d.withPanel(table('Sync I/O sites', "Calls per API and site since each process started, as each site's findings count them (at each doubling, and at exit).", instant(
    `topk(20, sum by (instance, ${L.api}, ${SITE}) (${P.syncIoSites.series(SEL)}))`,
  )));
  d.withPanel(table('Unawaited promises by site', 'asyncdebug.promises.unawaited (debug mode, ASYNC_DEBUG=1) since each process started.', instant(
    `topk(20, sum by (instance, ${SITE}) (${P.unawaited.series(SEL)}))`,
  )));
  d.withPanel(timeseries('Thread-pool wait', 's', 'asyncdebug.threadpool.wait: the worst wait of libuv pool work queued behind a full pool, per saturation finding.', [
    query(`histogram_quantile(0.99, sum by (le, instance) (rate(${H(P.threadpoolWait, '_bucket', SEL)}[$__rate_interval])))`, '{{instance}} p99', 'A'),
    query(`sum by (instance) (${H(P.threadpoolWait, '_sum', SEL)}) / sum by (instance) (${H(P.threadpoolWait, '_count', SEL)})`, '{{instance}} mean since start', 'B'),
  ]));
  d.withPanel(timeseries('Findings by kind', 'short', 'asyncdebug.findings per interval, by kind.', [
    query(`sum by (${L.kind}) (increase(${P.findings.series(SEL)}[$__rate_interval]))`, '{{asyncdebug_finding_kind}}'),
  ]));
  return d.build();
}

/** The file as committed (two-space JSON and a final newline). */
export function dashboardJson(): string {
  return JSON.stringify(buildDashboard(), null, 2) + '\n';
}

export const DASHBOARD_FILE = fileURLToPath(new URL('./asyncdebug.json', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DASHBOARD_FILE, dashboardJson());
  console.log(`wrote ${DASHBOARD_FILE}`);
}
