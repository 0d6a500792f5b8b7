// The panel of the selected mark: what it was, where (site, code frame, stack), the block's profile as a
// flame chart, the request it belonged to, and the other stacks it carries (where the callback was
// scheduled, debug mode).
import type { CodeFrame, Mark } from '../model.js';
import { frameText, kindColor, type FrameView, type Report } from './data.js';
import { button, clear, el } from './dom.js';
import { clock, duration } from './format.js';
import { flameChart } from './flame.js';

function codeFrame(c: CodeFrame): HTMLElement {
  const pre = el('pre', { class: 'code', attrs: { 'aria-label': `${c.file} around line ${c.line}` } });
  const width = String(c.first + c.lines.length - 1).length;
  c.lines.forEach((text, i) => {
    const n = c.first + i;
    const at = n === c.line;
    pre.appendChild(el('span', { class: at ? 'line at' : 'line' }, el('span', { class: 'gutter' }, `${at ? '>' : ' '} ${String(n).padStart(width)} | `), text, '\n'));
    if (at && c.column > 0) pre.appendChild(el('span', { class: 'line caret' }, el('span', { class: 'gutter' }, `  ${' '.repeat(width)} | `), `${' '.repeat(c.column - 1)}^`, '\n'));
  });
  return pre;
}

function stackList(frames: FrameView[]): HTMLElement {
  return el('ol', { class: 'stack' }, ...frames.map((f) => el('li', { class: f.internal ? 'internal' : '' }, el('span', { class: 'fn' }, f.fn), ' ', el('span', { class: 'where' }, frameText(f)))));
}

function section(title: string, ...body: (Node | null)[]): HTMLElement {
  return el('section', {}, el('h3', {}, title), ...body);
}

export interface DetailHost {
  report: Report;
  select(mark: number): void;
}

export function showDetail(panel: HTMLElement, index: number, host: DetailHost): void {
  clear(panel);
  const { report } = host;
  const m: Mark | undefined = report.mark(index);
  if (!m) {
    panel.appendChild(el('p', { class: 'hint' }, 'Click a mark on a timeline, or a row of the table, to see its stack, code and profile here.'));
    return;
  }
  const thread = report.model.threads[m.thread]!;
  const siblings = report.byThread[m.thread] ?? [];
  const at = siblings.indexOf(index);
  const badge = el('span', { class: 'kind' }, m.kind);
  badge.style.background = kindColor(m.kind);
  const nav = el(
    'div',
    { class: 'nav' },
    button('◀ previous', () => host.select(siblings[at - 1]!), { title: 'the previous finding of this thread' }),
    el('span', {}, `${at + 1} of ${siblings.length} in this thread`),
    button('next ▶', () => host.select(siblings[at + 1]!), { title: 'the next finding of this thread' }),
  );
  (nav.children[0] as HTMLButtonElement).disabled = at <= 0;
  (nav.children[2] as HTMLButtonElement).disabled = at >= siblings.length - 1;
  panel.appendChild(nav);
  panel.appendChild(el('h2', {}, badge, ' ', m.kind === 'block' ? `${m.ongoing ? '≥ ' : ''}${duration(m.d)}` : '', ' ', el('span', { class: 'muted' }, `${thread.label} · pid ${thread.pid} · ${clock(m.t)} (+${duration(m.t - report.model.start)})`)));
  panel.appendChild(el('p', { class: 'message' }, m.message));

  const site = report.frame(m.site);
  panel.appendChild(section('Site', el('p', { class: 'site' }, site ? el('span', { class: 'fn' }, site.fn) : 'no application frame', site ? ` ${frameText(site)}` : '')));
  const code = report.model.codeFrames[m.code];
  if (code) panel.appendChild(codeFrame(code));
  else if (site) panel.appendChild(el('p', { class: 'muted' }, 'No code frame: the source could not be read when this report was built.'));

  if (m.request) panel.appendChild(section('Request', el('p', {}, m.request)));
  if (m.facts.length) panel.appendChild(section('Details', el('dl', { class: 'facts' }, ...m.facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]))));
  if (m.profile.length) {
    const picked = el('p', { class: 'muted picked' }, 'Each bar is a frame, as wide as its share of the block; click one for its place.');
    const chart = flameChart(m.profile, report, (text) => (picked.textContent = text));
    const covered = m.profile.reduce((n, p) => n + p.share, 0);
    panel.appendChild(section('Profile by call path', chart, picked, covered < 0.99 ? el('p', { class: 'muted' }, `The sites shown cover ${Math.round(covered * 100)}% of the block; the rest was spread over lighter sites.`) : null));
  }
  for (const s of m.more) panel.appendChild(section(s.title, stackList(report.stack(s.stack))));
  const stack = report.stack(m.stack);
  if (stack.length) panel.appendChild(section('Stack', stackList(stack)));
  panel.appendChild(el('p', { class: 'muted id' }, `id ${m.id}`));
}
