// The top sites (the grouping of `asyncdebug report`: kind + file + function): count, total, worst and
// threads, filterable by kind and thread; a row selects the site's worst finding.
import type { SiteRow } from '../model.js';
import { kindColor, type Report } from './data.js';
import { clear, el } from './dom.js';
import { duration } from './format.js';
import { apisLabel } from '../../apis-label.js';

type Column = 'kind' | 'site' | 'count' | 'total' | 'worst' | 'threads';
const NUMERIC: Partial<Record<Column, (r: SiteRow) => number>> = { count: (r) => r.count, total: (r) => r.totalMs, worst: (r) => r.worstMs, threads: (r) => r.threads.length };
/** Rows drawn at once; the filters narrow the rest down. */
const MAX_ROWS = 500;

export interface SitesHost {
  report: Report;
  select(mark: number): void;
}

function option(value: string, label: string): HTMLOptionElement {
  const o = el('option', {}, label);
  o.value = value;
  return o;
}

export function sitesTable(host: SitesHost): { root: HTMLElement; filterKind(kind: string): void } {
  const rows = host.report.model.sites;
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const threads = [...new Set(rows.flatMap((r) => r.threads))].sort();
  const kindSelect = el('select', { attrs: { 'aria-label': 'kind' } }, option('', 'every kind'), ...kinds.map((k) => option(k, k)));
  const threadSelect = el('select', { attrs: { 'aria-label': 'thread' } }, option('', 'every thread'), ...threads.map((t) => option(t, t)));
  const search = el('input', { attrs: { type: 'search', placeholder: 'file or function', 'aria-label': 'file or function' } });
  const body = el('tbody');
  const note = el('p', { class: 'muted' });
  let sortBy: Column = 'worst';
  let descending = true;

  const heads: [Column, string][] = [['kind', 'kind'], ['site', 'site'], ['count', 'count'], ['total', 'total'], ['worst', 'worst'], ['threads', 'threads']];
  const headRow = el('tr', {}, ...heads.map(([key, label]) => {
    const th = el('th', { class: NUMERIC[key] ? 'num' : '' }, el('button', { attrs: { type: 'button' } }, label));
    th.firstChild!.addEventListener('click', () => {
      descending = sortBy === key ? !descending : !!NUMERIC[key];
      sortBy = key;
      render();
    });
    return th;
  }));

  const siteText = (r: SiteRow) => (r.file === null ? '(no application frame)' : `${r.file}:${r.line}${r.fn ? ` ${r.fn}` : ''}`);
  const render = () => {
    clear(body);
    const needle = search.value.trim().toLowerCase();
    const shown = rows
      .filter((r) => (!kindSelect.value || r.kind === kindSelect.value) && (!threadSelect.value || r.threads.includes(threadSelect.value)) && (!needle || siteText(r).toLowerCase().includes(needle)))
      .sort((a, b) => {
        const by = NUMERIC[sortBy];
        const d = by ? by(a) - by(b) : (sortBy === 'kind' ? a.kind : siteText(a)).localeCompare(sortBy === 'kind' ? b.kind : siteText(b));
        return descending ? -d : d;
      });
    for (const r of shown.slice(0, MAX_ROWS)) {
      const kind = el('span', { class: 'kind' }, r.kind);
      kind.style.background = kindColor(r.kind);
      const open = el('button', { class: 'link', attrs: { type: 'button' } }, siteText(r));
      open.disabled = r.worst < 0;
      open.addEventListener('click', () => host.select(r.worst));
      const threadsText = r.threads.length > 2 ? `${r.threads.slice(0, 2).join(', ')} +${r.threads.length - 2}` : r.threads.join(', ');
      body.appendChild(
        el('tr', {}, el('td', {}, kind), el('td', {}, open, r.apis.length ? el('span', { class: 'muted', title: r.apis.join('\n') }, ` ${apisLabel(r.apis)}`) : null), el('td', { class: 'num' }, r.count.toLocaleString('en')), el('td', { class: 'num' }, r.timed ? duration(r.totalMs) : '–'), el('td', { class: 'num' }, r.timed ? duration(r.worstMs) : '–'), el('td', { title: r.threads.join('\n') }, threadsText)),
      );
    }
    note.textContent = shown.length > MAX_ROWS ? `${shown.length} sites; the first ${MAX_ROWS} are shown (narrow them with the filters).` : `${shown.length} of ${rows.length} sites.`;
  };
  for (const input of [kindSelect, threadSelect]) input.addEventListener('change', render);
  search.addEventListener('input', render);
  render();
  const root = el('section', { class: 'sites' }, el('h2', {}, 'Top sites'), el('div', { class: 'filters' }, kindSelect, threadSelect, search), el('table', {}, el('thead', {}, headRow), body), note);
  return {
    root,
    filterKind(kind) {
      kindSelect.value = kinds.includes(kind) ? kind : '';
      render();
      root.scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  };
}
