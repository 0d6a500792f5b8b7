// The HTML report's page: the run's summary on top, a timeline per process and thread, the selected
// finding's panel, and the top-sites table. Everything it shows comes from the JSON embedded in the
// page (built by ../build-model.ts); it loads nothing and sends nothing.
import type { ReportModel } from '../model.js';
import { kindColor, readModel, Report } from './data.js';
import { showDetail } from './detail.js';
import { button, el } from './dom.js';
import { clock, dateTime, duration, plural } from './format.js';
import { sitesTable } from './sites-table.js';
import { Timelines } from './timeline.js';

function summary(report: Report, filterKind: (kind: string) => void, select: (i: number) => void): HTMLElement {
  const m: ReportModel = report.model;
  const pids = new Set(m.threads.map((t) => t.pid));
  const counts = new Map<string, number>();
  for (const mark of m.marks) counts.set(mark.kind, (counts.get(mark.kind) ?? 0) + 1);
  let worst = -1;
  m.marks.forEach((mark, i) => {
    if (mark.kind === 'block' && (worst < 0 || mark.d > m.marks[worst]!.d)) worst = i;
  });
  const chips = [...counts].map(([kind, n]) => {
    const chip = button(`${kind} ${n.toLocaleString('en')}`, () => filterKind(kind), { class: 'chip', title: `the ${kind} sites in the table` });
    chip.style.borderColor = kindColor(kind);
    return chip;
  });
  const worstMark = m.marks[worst];
  const worstSite = worstMark ? report.frame(worstMark.site) : null;
  const notes: string[] = [];
  if (m.problems) notes.push(`${plural(m.problems, 'broken line')} in the reports were skipped.`);
  if (m.omitted.marks) notes.push(`${plural(m.omitted.marks, 'finding')} are left off the timelines (the longest blocks and the earliest others are kept); the table counts them all.`);
  if (m.omitted.codeFrames) notes.push(`${plural(m.omitted.codeFrames, 'finding')} have no code frame (too many sites).`);
  return el(
    'header',
    { class: 'summary' },
    el('h1', {}, 'asyncdebug report', el('span', { class: 'muted' }, ` built ${dateTime(m.builtAt)} by asyncdebug ${m.tool}`)),
    m.command ? el('p', { class: 'command' }, el('code', {}, m.command)) : null,
    el('p', {}, `Run ${clock(m.start)} – ${clock(m.end)} (${duration(m.end - m.start)}) · ${plural(pids.size, 'process', 'processes')} · ${plural(m.threads.length, 'thread')}${m.mode ? ` · ${m.mode} mode` : ''} · ${plural(m.marks.length + m.omitted.marks, 'finding')}`),
    chips.length ? el('div', { class: 'chips' }, ...chips) : el('p', {}, 'Nothing was found: no block, no sync I/O, no finding of any kind.'),
    worstMark ? el('p', {}, 'Worst block: ', button(`${duration(worstMark.d)}${worstSite ? ` at ${worstSite.fn} (${worstSite.file}:${worstSite.line})` : ''}`, () => select(worst), { class: 'link' })) : null,
    ...notes.map((n) => el('p', { class: 'note' }, n)),
    el('details', {}, el('summary', {}, plural(m.files.length, 'report file')), el('ul', {}, ...m.files.map((f) => el('li', {}, f)))),
  );
}

function threadHeader(report: Report, thread: number): HTMLElement {
  const t = report.model.threads[thread]!;
  const s = t.summary;
  const parts: string[] = [];
  if (s) {
    parts.push(`loop delay p50 ${duration(s.p50)}, p99 ${duration(s.p99)}, max ${duration(s.max)}`, `utilization ${Math.round(s.elu * 100)}%`);
    if (s.startupBlockMs) parts.push(`start-up ${duration(s.startupBlockMs)}`);
    if (s.unnamedBlocks) parts.push(`${plural(s.unnamedBlocks, 'unnamed gap')} (${duration(s.unnamedBlockMs ?? 0)})`);
    if (s.droppedFindings) parts.push(`${plural(s.droppedFindings, 'finding')} dropped before the hub`);
  } else parts.push('no summary (still running when the report was read, killed, or terminated)');
  if (t.health.t.length === 0) parts.push('no health lines (it lived under a second, or an older agent wrote the report)');
  const n = report.byThread[thread]?.length ?? 0;
  return el('div', { class: 'thread-head' }, el('strong', {}, t.label), ' ', el('span', { class: 'muted' }, `${plural(n, 'finding')} · ${parts.join(' · ')}`));
}

async function start(): Promise<void> {
  const app = document.getElementById('app')!;
  let model: ReportModel | null = null;
  try {
    model = await readModel();
  } catch (err) {
    app.appendChild(el('p', {}, `This report cannot be read here (${(err as Error).message}); it needs a browser from 2023 or later.`));
    return;
  }
  if (!model) {
    app.appendChild(el('p', {}, 'This report cannot be shown: its data is missing or of another format.'));
    return;
  }
  const report = new Report(model);
  let selected = -1;
  const panel = el('aside', { class: 'detail', attrs: { 'aria-live': 'polite' } });
  const host = {
    report,
    selected: () => selected,
    select(i: number) {
      const mark = report.mark(i);
      if (!mark) return;
      selected = i;
      timelines.reveal(mark);
      showDetail(panel, i, host);
      panel.scrollTop = 0;
    },
  };
  const timelines = new Timelines(host);
  const table = sitesTable(host);
  const range = el('span', { class: 'muted range' });
  timelines.onRange = (a, b) => (range.textContent = `${clock(a * 1000)} – ${clock(b * 1000)} (${duration((b - a) * 1000)} shown)`);
  const toolbar = el(
    'div',
    { class: 'toolbar' },
    button('−', () => timelines.zoom(1.5), { title: 'zoom out' }),
    button('+', () => timelines.zoom(1 / 1.5), { title: 'zoom in' }),
    button('◀', () => timelines.pan(-0.25), { title: 'earlier' }),
    button('▶', () => timelines.pan(0.25), { title: 'later' }),
    button('whole run', () => timelines.reset(), { title: 'the whole run (or double-click a timeline)' }),
    range,
    el('span', { class: 'muted hint' }, 'drag to zoom · wheel to zoom · shift+wheel to pan · click a mark'),
  );
  const lanes = el('div', { class: 'timelines' });
  app.appendChild(summary(report, (k) => table.filterKind(k), (i) => host.select(i)));
  app.appendChild(el('div', { class: 'layout' }, el('main', {}, toolbar, lanes, table.root), panel));
  showDetail(panel, -1, host);

  const order = model.threads.map((_, i) => i).sort((a, b) => model.threads[a]!.pid - model.threads[b]!.pid || model.threads[a]!.threadId - model.threads[b]!.threadId);
  let pid = NaN;
  for (const i of order) {
    const t = model.threads[i]!;
    if (t.pid !== pid) {
      pid = t.pid;
      lanes.appendChild(el('h2', { class: 'process' }, `process ${t.pid}`));
    }
    lanes.appendChild(threadHeader(report, i));
    if (t.health.t.length === 0 && (report.byThread[i]?.length ?? 0) === 0) continue;
    const box = el('div', { class: 'chart' });
    lanes.appendChild(box);
    timelines.add(i, box);
  }
  timelines.onRange(...timelines.current());
  window.addEventListener('resize', () => timelines.resize());
  // For the browser's console (and the report's own tests): the model, the charts, and selection.
  (window as unknown as { asyncdebugReport: unknown }).asyncdebugReport = { model, timelines, select: (i: number) => host.select(i), selected: () => selected };
  document.body.dataset.ready = 'true';
}

void start();
