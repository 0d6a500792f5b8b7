// The summary table of `run`, `ci` and `report`: one row per kind and site.
import type { ChalkInstance } from 'chalk';
import { formatDuration, fromPackage } from '../wording.js';
import { safeText } from '../safe-text.js';
import { apisLabel, mergedApis } from '../apis-label.js';
import type { RunFacts, Site } from './sites.js';
import { callerLabel, MODULE_LOAD, NO_APP_FRAME, NO_STACK } from './sites.js';

/** Pads columns to their widest cell (ANSI colors do not count). */
export function columns(rows: string[][], gap = '  '): string[] {
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, plain(cell).length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - plain(cell).length))).join(gap).trimEnd());
}


/** A site as the table shows it: control characters in a report's strings made visible (safe-text.ts). */
export function siteLabel(s: Site): string {
  if (s.file === null) return s.noStack ? NO_STACK : s.reason ? safeText(`${NO_APP_FRAME} ${s.reason}`, true) : NO_APP_FRAME;
  const caller = s.caller ? ` ← ${callerLabel(s.caller, s.file)}` : '';
  const at = s.generated ? ` (transformed line ${s.line})` : `:${s.line}`;
  return safeText(`${fromPackage(s.file)}${at} ${s.function}${caller}${s.apis.length ? ` ${apisLabel(s.apis)}` : ''}`, true);
}

/** More rows than this for one line reached from different callers, all with the same status: one row. */
const FOLD_CALLERS_OVER = 3;

interface Row {
  site: Site;
  /** Callers folded into this row (0: the site's own row). */
  callers: number;
}

/**
 * One row per line when many callers reach it with the same status: a test runner's loader reached from
 * each of 70 test files is one `module-load` row `← 70 callers`, not 70 rows. The gate still keys each.
 */
function foldCallers(sites: Site[], marks?: Marks): Row[] {
  const groups = new Map<string, Site[]>();
  for (const s of sites) {
    const key = s.file === null || !s.caller ? s.key : `${s.kind}\0${s.file}\0${s.line}\0${s.function}\0${marks?.get(s.key) ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  const rows: Row[] = [];
  for (const group of groups.values()) {
    if (group.length <= FOLD_CALLERS_OVER) {
      for (const site of group) rows.push({ site, callers: 0 });
      continue;
    }
    const first = group[0]!;
    const folded: Site = {
      ...first,
      caller: null,
      count: group.reduce((n, s) => n + s.count, 0),
      totalMs: group.reduce((n, s) => n + s.totalMs, 0),
      worstMs: Math.max(...group.map((s) => s.worstMs)),
      threads: [...new Set(group.flatMap((s) => s.threads))],
      ongoing: group.some((s) => s.ongoing),
      apis: mergedApis(group),
    };
    rows.push({ site: folded, callers: group.length });
  }
  return rows;
}

function threadsLabel(s: Site): string {
  if (s.threads.length <= 2) return s.threads.join(', ');
  const pids = new Set(s.threads.map((t) => t.split(' ')[1]));
  return `${s.threads.length} threads in ${pids.size} process${pids.size === 1 ? '' : 'es'}`;
}

/** Per site: status marks from `ci` (e.g. `NEW`, `baseline`), or none. */
export type Marks = Map<string, string>;

/** Blocks reported while they went on that turned out under the threshold: said, never counted. */
function withdrawnNote(facts: RunFacts): string {
  const n = facts.withdrawn ?? 0;
  if (n === 0) return '';
  return `${n} block${n === 1 ? '' : 's'} reported while going on turned out under the threshold (start-up or waiting for a CPU): not counted`;
}

export function summaryTable(sites: Site[], facts: RunFacts, c: ChalkInstance, marks?: Marks): string {
  const head = `${c.bold.magenta('asyncdebug')} ${facts.processes} process${facts.processes === 1 ? '' : 'es'}, ${facts.threads} thread${facts.threads === 1 ? '' : 's'} watched`;
  const withdrawn = withdrawnNote(facts);
  if (sites.length === 0) return `${head}: no findings\n${withdrawn ? `  ${withdrawn}\n` : ''}`;
  const rows: string[][] = [['kind', 'site', 'count', 'worst', 'total', 'where', ...(marks ? ['status'] : [])].map((h) => c.dim(h))];
  for (const { site: s, callers } of foldCallers(sites, marks)) {
    const worst = s.kind === 'block' || s.kind === MODULE_LOAD || s.worstMs > 0 ? formatDuration(s.worstMs) + (s.ongoing ? '+' : '') : '-';
    const total = s.totalMs > 0 ? formatDuration(s.totalMs) : '-';
    const kind = s.kind === 'block' ? c.red(s.kind) : c.yellow(safeText(s.kind, true));
    const label = siteLabel(s) + (callers ? ` ← ${callers} callers` : '');
    const site = s.file === null ? c.dim(label) : label;
    const row = [kind, site, String(s.count), worst, total, threadsLabel(s)];
    if (marks) row.push(marks.get(s.key) ?? '');
    rows.push(row);
  }
  const notes: string[] = [];
  if (withdrawn) notes.push(withdrawn);
  if (sites.some((s) => s.ongoing)) notes.push(`${c.dim('+')} the block's end was not written: its process ended (or was killed, as test runners end their workers) while it went on or just after`);
  if (sites.some((s) => s.generated)) notes.push(`${c.dim('transformed line')}: a line of the code as the test runner transformed it; the process ended before its source map was read, or the map has no mapping for that line`);
  if (sites.some((s) => s.noStack)) notes.push(`${c.dim(NO_STACK)}: no stack was read, e.g. a block in the first 100-300 ms of a process, before the watchdog thread was up; not counted by ci`);
  if (sites.some((s) => s.file === null && !s.noStack)) notes.push(`${c.dim(NO_APP_FRAME)}: only node_modules or Node internals on the stack (the tool's own work, e.g. the test runner), or a block the stack could not name (its reason follows); not counted by ci`);
  if (sites.some((s) => s.kind === MODULE_LOAD)) notes.push(`${c.dim(MODULE_LOAD)}: module loading after start-up (a block spent loading, e.g. a lazy require or a test runner loading a test file; a loader's own sync I/O): a one-time warm-up; ci counts it only with --budget ${MODULE_LOAD}=N`);
  return `${head}:\n${columns(rows).map((r) => `  ${r}`).join('\n')}\n${notes.map((n) => `  ${n}\n`).join('')}`;
}
