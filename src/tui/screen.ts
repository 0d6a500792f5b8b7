// The screen as lines of styled segments, from the data and the UI's state: a pure function, so the
// layout (what fits in 80x24, what a larger terminal adds) is decided and tested in one place. The
// Ink components (app.tsx) only draw these lines and handle keys.
import type { Finding } from '../finding.js';
import { kindRow } from '../kinds.js';
import { clock, codeFrame, elapsed, findingDetail, ms, bytes, shortFile, siteText, sparkline, threadText } from './format.js';
import { blockedNow, countKind, isBlock, poolView, syncSites, topBlockSites, visibleFindings, type DataState, type FindingEntry, type KindFilter, type ThreadState } from './state.js';
import type { CommandInfo } from './store.js';

export interface Seg {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}
export type Line = Seg[];

export type View = 'main' | 'detail' | 'help' | 'output';

export interface UiState {
  /** pid:id of the selected finding; null follows the newest. */
  selectedKey: string | null;
  filter: KindFilter;
  /** Only this process's threads and findings (null: all). */
  pid: number | null;
  paused: boolean;
  view: View;
}

export const initialUi = (): UiState => ({ selectedKey: null, filter: 'all', pid: null, paused: false, view: 'main' });

export interface ScreenContext {
  columns: number;
  rows: number;
  now: number;
  /** What is watched: the command, or `attached to ...`. */
  title: string;
  command: CommandInfo | null;
  /** Where the command's output goes (run mode). */
  logFile: string | null;
  /** The last lines of that log (output view). */
  logTail?: string[];
  /** Waiting for agents: what to say while none has connected. */
  waitingText?: string;
}

const seg = (text: string, style: Omit<Seg, 'text'> = {}): Seg => ({ text, ...style });
const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function lineText(line: Line): string {
  return line.map((s) => s.text).join('');
}

/** Cuts a line to `width` characters. */
export function fit(line: Line, width: number): Line {
  const out: Line = [];
  let left = width;
  for (const s of line) {
    if (left <= 0) break;
    const chars = [...s.text];
    if (chars.length <= left) {
      out.push(s);
      left -= chars.length;
    } else {
      out.push({ ...s, text: chars.slice(0, Math.max(0, left - 1)).join('') + '…' });
      left = 0;
    }
  }
  return out;
}

function cwdOf(data: DataState, pid: number): string | undefined {
  return data.processes.get(pid)?.hello?.cwd;
}

function threadsOf(data: DataState, pid: number | null): ThreadState[] {
  const out: ThreadState[] = [];
  // processes still running first (a command like `npm test` leaves many that have exited)
  for (const p of [...data.processes.values()].sort((a, b) => Number(b.connected) - Number(a.connected) || a.pid - b.pid)) {
    if (pid !== null && p.pid !== pid) continue;
    for (const t of [...p.threads.values()].sort((a, b) => a.threadId - b.threadId)) out.push(t);
  }
  return out;
}

/** The selected finding's index in the visible list (the newest when nothing is selected). */
export function selectedIndex(list: FindingEntry[], key: string | null): number {
  if (key === null) return 0;
  const i = list.findIndex((e) => e.key === key);
  return i < 0 ? 0 : i;
}

function header(data: DataState, ui: UiState, ctx: ScreenContext): Line {
  const procs = [...data.processes.values()];
  const live = procs.filter((p) => p.connected).length;
  const started = Math.min(...procs.map((p) => p.hello?.startedAt ?? Infinity));
  const line: Line = [seg('asyncdebug tui', { bold: true, color: 'magenta' }), seg(` ${ctx.title}`)];
  const status: Line = [];
  if (ctx.command) status.push(seg(ctx.command.state === 'running' ? ' ● running' : ` ■ ${ctx.command.text}`, { color: ctx.command.state === 'running' ? 'green' : 'yellow' }));
  status.push(seg(` · ${live}/${procs.length} process${procs.length === 1 ? '' : 'es'}`, { dim: true }));
  if (Number.isFinite(started)) status.push(seg(` · ${elapsed(ctx.now - started)}`, { dim: true }));
  if (ui.pid !== null) status.push(seg(` · pid ${ui.pid}`, { color: 'cyan' }));
  if (ui.paused) status.push(seg(' PAUSED', { bold: true, inverse: true }));
  // The status stays visible: the title gives way.
  const statusWidth = lineText(status).length;
  return [...fit(line, Math.max(10, ctx.columns - statusWidth)), ...status];
}

function threadRows(data: DataState, ui: UiState, ctx: ScreenContext, max: number): Line[] {
  const nameWidth = ctx.columns >= 100 ? 20 : 12;
  const sparkWidth = Math.max(8, ctx.columns - 62 - nameWidth);
  const lines: Line[] = [[seg(`${lpad('pid', 7)} ${pad('thread', nameWidth)} ${pad('loop delay', sparkWidth)} ${lpad('p50', 7)} ${lpad('p99', 7)} ${lpad('max', 7)} ${lpad('util', 4)} ${lpad('starved', 7)}  state`, { dim: true })]];
  const threads = threadsOf(data, ui.pid);
  if (threads.length === 0) {
    lines.push([seg(`  ${ctx.waitingText ?? 'waiting for an agent to connect…'}`, { dim: true })]);
    return lines;
  }
  const blocked = new Map(blockedNow(data, ctx.now).map((b) => [`${b.pid}:${b.threadId}`, b]));
  const shown = threads.length > max ? threads.slice(0, max - 1) : threads;
  for (const t of shown) {
    const p = data.processes.get(t.pid)!;
    const h = t.health;
    const slow = p.hello?.slowMs ?? 100;
    const b = blocked.get(`${t.pid}:${t.threadId}`);
    let state: Seg;
    if (!p.connected) state = seg(p.gone === 'exited' ? 'exited' : `gone: ${p.gone ?? '?'}`, { dim: true });
    else if (h?.exited) state = seg('exited', { dim: true });
    else if (b) state = seg(`BLOCKED ${ms(b.ms)}`, { color: 'red', bold: true });
    else if (!h || h.activeMs + h.idleMs === 0) state = seg('starting', { dim: true });
    else state = seg(h.elu > 0.9 ? 'busy' : 'ok', { color: h.elu > 0.9 ? 'yellow' : 'green' });
    const delayColor = h && h.delay.max >= slow ? 'red' : h && h.delay.p99 >= slow / 2 ? 'yellow' : 'green';
    lines.push([
      seg(`${lpad(String(t.pid), 7)} ${pad(threadText(t.threadId, t.threadName), nameWidth)} `),
      seg(sparkline(t.history, sparkWidth, slow), { color: delayColor }),
      seg(h ? ` ${lpad(ms(h.delay.p50), 7)} ${lpad(ms(h.delay.p99), 7)} ${lpad(ms(h.delay.max), 7)} ${lpad(`${Math.round(h.elu * 100)}%`, 4)} ` : ` ${lpad('-', 7)} ${lpad('-', 7)} ${lpad('-', 7)} ${lpad('-', 4)} `),
      // Time the thread waited for a CPU inside gaps of its loop (other work had the cores): no block.
      h?.starvedMs ? seg(lpad(ms(h.starvedMs), 7), { color: 'yellow' }) : seg(lpad('-', 7), { dim: true }),
      seg('  '),
      state,
    ]);
  }
  if (shown.length < threads.length) lines.push([seg(`  … ${threads.length - shown.length} more threads (t: one process at a time)`, { dim: true })]);
  return lines;
}

function blockedLines(data: DataState, ui: UiState, ctx: ScreenContext, max: number): Line[] {
  const blocked = blockedNow(data, ctx.now).filter((b) => ui.pid === null || b.pid === ui.pid);
  if (blocked.length === 0) return [[seg('no thread is blocked now', { color: 'green' })]];
  const lines = blocked.slice(0, max).map((b): Line => [
    seg('BLOCKED NOW', { color: 'red', bold: true, inverse: true }),
    seg(` pid ${b.pid} ${threadText(b.threadId, b.threadName)} for ${ms(b.ms)}`, { color: 'red', bold: true }),
    seg(b.site ? ` at ${siteText(b.site, cwdOf(data, b.pid))}` : ' (reading its stack…)', { color: 'red' }),
  ]);
  if (blocked.length > max) lines[lines.length - 1]!.push(seg(` +${blocked.length - max} more`, { color: 'red' }));
  return lines;
}

function siteRows(data: DataState, ui: UiState, ctx: ScreenContext, max: number): Line[] {
  const width = Math.max(20, ctx.columns - 36);
  const rows = topBlockSites(data, ui.pid);
  const lines: Line[] = [[seg(`${pad('Top blocking sites', width)} ${lpad('count', 5)} ${lpad('total', 8)} ${lpad('max', 8)}  threads`, { bold: true })]];
  if (rows.length === 0) lines.push([seg('  no blocks yet', { dim: true })]);
  for (const r of rows.slice(0, max)) {
    const pid = Number([...r.threads][0]?.split('/')[0]);
    lines.push([
      seg(pad(`  ${siteText(r.site, cwdOf(data, pid))}`, width), { color: r.ongoing ? 'red' : undefined, bold: r.ongoing }),
      seg(` ${lpad(String(r.count), 5)} ${lpad(ms(r.totalMs), 8)} ${lpad(ms(r.maxMs), 8)}  ${[...r.threads].join(',')}`),
    ]);
  }
  return lines;
}

function syncRows(data: DataState, ui: UiState, ctx: ScreenContext, max: number): Line[] {
  const width = Math.max(20, ctx.columns - 58);
  const rows = syncSites(data, ui.pid);
  const lines: Line[] = [[seg(`${pad('Sync I/O sites', width)} ${pad('api', 20)} ${lpad('calls', 6)} ${lpad('total', 9)} ${lpad('max', 9)}`, { bold: true })]];
  if (rows.length === 0) lines.push([seg('  no sync I/O after start-up yet', { dim: true })]);
  for (const r of rows.slice(0, max)) {
    const pid = Number(r.key.split(':')[0]);
    lines.push([seg(pad(`  ${siteText(r.site, cwdOf(data, pid))}`, width)), seg(` ${pad(r.api, 20)}`, { color: 'yellow' }), seg(` ${lpad(String(r.count), 6)} ${lpad(ms(r.totalMs), 9)} ${lpad(ms(r.maxMs), 9)}`)]);
  }
  return lines;
}

function tallyLine(data: DataState, ui: UiState, withSyncTop: boolean): Line {
  const sync = syncSites(data, ui.pid);
  const pool = poolView(data, ui.pid);
  const unawaited = countKind(data, 'unawaited', ui.pid);
  const rejections = countKind(data, 'unhandled-rejection', ui.pid);
  const calls = sync.reduce((n, r) => n + r.count, 0);
  const syncMs = sync.reduce((n, r) => n + r.totalMs, 0);
  const line: Line = [seg('sync I/O ', { bold: true }), seg(`${sync.length} site${sync.length === 1 ? '' : 's'} ${calls}× ${ms(syncMs)}`, { color: sync.length ? 'yellow' : undefined })];
  line.push(seg(' · pool ', { bold: true }), seg(`${pool.poolSize ?? 4}${pool.saturations ? ` full ${pool.saturations}× ${pool.queued ?? '?'} queued ≤${ms(pool.worstWaitMs)}` : ' never full'}`, { color: pool.saturations ? 'blue' : undefined }));
  line.push(seg(' · unawaited ', { bold: true }), seg(String(unawaited), { color: unawaited ? 'cyan' : undefined }));
  if (rejections) line.push(seg(' · unhandled ', { bold: true }), seg(String(rejections), { color: 'magenta' }));
  if (withSyncTop && sync[0]) line.push(seg(` · top sync ${sync[0].api} ${siteText(sync[0].site, cwdOf(data, Number(sync[0].key.split(':')[0])))}`, { dim: true }));
  return line;
}

function findingRow(e: FindingEntry, data: DataState, selected: boolean): Line {
  const f = e.f;
  const ongoing = isBlock(f) && f.ongoing && data.processes.get(f.pid)?.connected !== false;
  return [
    seg(selected ? '>' : ' ', { bold: true }),
    seg(` ${clock(f.time)} `, { dim: !selected, inverse: selected }),
    seg(pad(kindRow(f.kind)?.short ?? f.kind, 14), { color: kindRow(f.kind)?.color, bold: ongoing }),
    seg(`${findingDetail(f)}${ongoing ? ' (still blocked)' : ''} `, { bold: ongoing }),
    seg(`${siteText(f.site, cwdOf(data, f.pid))}`),
    seg(` · ${f.pid} ${threadText(f.threadId, f.threadName)}`, { dim: true }),
  ];
}

function findingsBlock(data: DataState, ui: UiState, ctx: ScreenContext, list: FindingEntry[], rows: number): Line[] {
  const total = data.findings.length;
  const head: Line = [seg(`Findings ${list.length}${list.length !== total ? ` of ${total}` : ''}`, { bold: true }), seg(`  kind: ${ui.filter}${ui.selectedKey === null ? ' · following newest' : ''}`, { dim: true })];
  const lines: Line[] = [head];
  if (list.length === 0) {
    lines.push([seg(total ? '  none of this kind (f: next kind)' : '  none yet', { dim: true })]);
    return lines;
  }
  const sel = selectedIndex(list, ui.selectedKey);
  const start = Math.max(0, Math.min(sel - Math.floor(rows / 2), list.length - rows));
  for (let i = start; i < Math.min(list.length, start + rows); i++) lines.push(findingRow(list[i]!, data, i === sel));
  return lines;
}

function frameLine(fr: { file: string; line: number; column: number; function: string }, cwd: string | undefined): string {
  return `at ${fr.function || '<anonymous>'} (${shortFile(fr.file, cwd)}:${fr.line}:${fr.column})`;
}

/** The selected finding: what, where, its stack and the code at its site, in `rows` lines. */
function detailLines(f: Finding | undefined, data: DataState, ctx: ScreenContext, rows: number, full: boolean): Line[] {
  if (rows <= 0) return [];
  if (!f) return [[seg('─'.repeat(Math.min(ctx.columns, 40)), { dim: true })], [seg('no finding selected', { dim: true })]].slice(0, rows);
  const cwd = cwdOf(data, f.pid);
  const title: Line = [
    seg('── ', { dim: true }),
    seg(f.kind, { color: kindRow(f.kind)?.color, bold: true }),
    seg(` ${findingDetail(f)} · pid ${f.pid} ${threadText(f.threadId, f.threadName)} · ${clock(f.time)} `),
    seg('─'.repeat(Math.max(0, ctx.columns)), { dim: true }),
  ];
  const out: Line[] = [title, [seg(f.message)]];
  const frames = f.frames ?? [];
  const site = f.site ?? frames[0] ?? null;
  const codeRows = full ? Math.max(5, Math.min(11, rows - 2 - Math.min(frames.length, 12))) : rows >= 16 ? Math.min(11, rows - 2 - Math.min(frames.length, 8)) : rows >= 8 ? 5 : rows >= 6 ? 3 : 0;
  const code = site && codeRows >= 3 ? codeFrame(site, Math.floor((codeRows - 2) / 2)) : [];
  if (isBlock(f) && full) {
    if (f.origin) out.push([seg(`origin: ${f.origin.type}${f.origin.api ? ` ${f.origin.api}` : ''}${f.origin.after ? ` after ${siteText(f.origin.after, cwd)}` : ''}`, { dim: true })]);
    if (f.request) out.push([seg(`request: ${f.requests ? f.requests.map((r) => `${r.method} ${r.route} ${ms(r.durationMs)}`).join(', ') : `${f.request.method} ${f.request.route}`}`, { dim: true })]);
    if (f.profile?.length) out.push([seg(`seen at: ${f.profile.slice(0, 4).map((p) => `${siteText(p.site, cwd)} ${Math.round(p.share * 100)}%`).join(', ')}`, { dim: true })]);
  }
  const frameRows = Math.max(1, rows - out.length - code.length);
  if (frames.length === 0) out.push([seg('  (no stack)', { dim: true })]);
  else {
    const shown = frames.slice(0, frameRows - (frames.length > frameRows ? 1 : 0));
    for (const fr of shown) out.push([seg(`  ${frameLine(fr, cwd)}`, { dim: fr !== f.site })]);
    if (shown.length < frames.length) out.push([seg(`  … ${frames.length - shown.length} more frames${full ? '' : ' (enter: all)'}`, { dim: true })]);
  }
  for (const l of code) out.push([seg(l, { color: l.startsWith('>') ? 'red' : undefined, dim: !l.startsWith('>') && !l.trim().startsWith('|') })]);
  return out.slice(0, rows);
}

const FOOTER = '↑↓ move  enter open  f kind  t proc  p pause  c clear  o output  ? help  q quit';

function footer(ctx: ScreenContext): Line {
  return [seg(FOOTER, { dim: true })];
}

export const HELP_LINES = [
  'Keys',
  '  ↑/↓ or k/j    move through the findings (↑ at the top: follow the newest)',
  '  enter         open the selected finding: stack, profile, code (esc: back)',
  '  f / F         filter by kind: all, block, sync-io, unawaited, ... / back',
  '  t             one process at a time, then all again',
  '  p or space    pause the view (the agents keep sending; p catches up)',
  '  c             clear the findings and tallies (the threads stay)',
  "  o             the command's output (it goes to a log file)",
  '  ? or h        this help',
  '  q or ctrl-c   quit: stops the command it started; --attach leaves apps be',
  '',
  'Threads: each loop\'s delay (max per second, scaled to the block threshold),',
  'its p50/p99/max over the last second and its utilization; starved: how long',
  'it waited for a CPU inside stalls of its loop (other work had the cores: no',
  'block, Linux only). BLOCKED NOW is read by the watchdog thread while the',
  'thread is still blocked.',
];

function pickLines(lines: Line[], rows: number): Line[] {
  return lines.slice(0, rows);
}

/** The whole screen: at most rows - 1 lines (Ink redraws in place only below the terminal's height). */
export function buildScreen(data: DataState, ui: UiState, ctx: ScreenContext): Line[] {
  const H = Math.max(8, ctx.rows - 1);
  const W = Math.max(40, ctx.columns);
  const c = { ...ctx, columns: W };
  const list = visibleFindings(data, ui.filter, ui.pid);
  const selected = list[selectedIndex(list, ui.selectedKey)]?.f;
  let lines: Line[];
  if (ui.view === 'help') {
    lines = [header(data, ui, c), [], ...HELP_LINES.map((t) => [seg(t, { bold: t === 'Keys' })])];
    lines = pickLines(lines, H - 1);
    while (lines.length < H - 1) lines.push([]);
    lines.push([seg('any key: back', { dim: true })]);
  } else if (ui.view === 'output') {
    const tail = ctx.logTail ?? [];
    lines = [header(data, ui, c), [seg(ctx.logFile ? `output of the command: ${ctx.logFile}` : 'no command output here (--attach: the app writes where it always does)', { bold: true })]];
    const room = H - 3;
    for (const t of tail.slice(-room)) lines.push([seg(t.replace(/\t/g, '  '))]);
    while (lines.length < H - 1) lines.push([]);
    lines.push([seg('o or esc: back', { dim: true })]);
  } else if (ui.view === 'detail') {
    lines = [header(data, ui, c), ...detailLines(selected, data, c, H - 2, true)];
    while (lines.length < H - 1) lines.push([]);
    lines.push([seg('enter/esc: back  ↑↓ previous/next finding  q quit', { dim: true })]);
  } else {
    const big = H >= 34;
    const threadCount = threadsOf(data, ui.pid).length;
    const threads = threadRows(data, ui, c, big ? 8 : 3);
    const blocked = blockedLines(data, ui, c, big ? 3 : Math.min(2, Math.max(1, threadCount)));
    const sites = siteRows(data, ui, c, big ? 6 : 3);
    const sync = big ? syncRows(data, ui, c, 5) : [];
    const tally = tallyLine(data, ui, !big);
    const fixed = 1 + threads.length + blocked.length + sites.length + sync.length + 1 + 1 /* findings heading */ + 1; /* footer */
    const rest = Math.max(3, H - fixed);
    const detailRows = rest >= 24 ? Math.floor(rest * 0.55) : Math.max(0, Math.min(6, rest - 3));
    const findingRows = Math.max(1, rest - detailRows);
    lines = [
      header(data, ui, c),
      ...threads,
      ...blocked,
      ...sites,
      ...sync,
      tally,
      ...findingsBlock(data, ui, c, list, findingRows),
    ];
    // the findings list may be shorter than its room: the detail gets the rest
    const detail = detailLines(selected, data, c, H - 1 - lines.length, false);
    lines.push(...detail);
    while (lines.length < H - 1) lines.push([]);
    lines = lines.slice(0, H - 1);
    lines.push(footer(c));
  }
  return lines.map((l) => fit(l, W));
}
