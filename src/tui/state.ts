// What the UI knows, as a pure reducer over the agents' events, and the views derived from it (top
// blocking sites, sync-I/O sites, blocked-now, ...). No React, no I/O: tested on its own.
import type { BlockFinding, Finding, FindingKind, Frame } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { REPORTED_KINDS } from '../kinds.js';
import { metThreshold } from '../finding.js';
import type { ClientEvent } from './client.js';
import type { AgentHello } from './protocol.js';

/** Loop-delay samples kept per thread for the sparkline (one a health message, about one a second). */
export const HISTORY = 120;
/** Findings kept (the latest version of each); older ones are dropped from the list and the tallies. */
export const MAX_FINDINGS = 2000;

export interface ThreadState {
  pid: number;
  threadId: number;
  threadName?: string;
  health: ThreadHealth | null;
  /** delay.max of each health message, oldest first. */
  history: number[];
  /** Epoch ms the last final block line of this thread arrived (its health may be older). */
  blockEndedAt: number;
}

export interface ProcessState {
  pid: number;
  hello: AgentHello | null;
  connected: boolean;
  /** Why the connection ended (`exited`), while not connected. */
  gone: string | null;
  rss: number | null;
  /** Epoch ms of the last health message. */
  healthAt: number;
  threads: Map<number, ThreadState>;
}

export interface FindingEntry {
  /** pid:id: a finding with the same key supersedes the earlier one (a block's final line). */
  key: string;
  f: Finding;
  /** Epoch ms it (first) arrived here. */
  seenAt: number;
}

export interface DataState {
  processes: Map<number, ProcessState>;
  /** Oldest first; a later version of a finding replaces it in place. */
  findings: FindingEntry[];
  /** Bumped on every change (cheap change detection for the UI). */
  version: number;
}

export function initialData(): DataState {
  return { processes: new Map(), findings: [], version: 0 };
}

function processOf(state: DataState, pid: number): ProcessState {
  let p = state.processes.get(pid);
  if (!p) {
    p = { pid, hello: null, connected: true, gone: null, rss: null, healthAt: 0, threads: new Map() };
    state.processes.set(pid, p);
  }
  return p;
}

function threadOf(p: ProcessState, threadId: number): ThreadState {
  let t = p.threads.get(threadId);
  if (!t) {
    t = { pid: p.pid, threadId, health: null, history: [], blockEndedAt: 0 };
    p.threads.set(threadId, t);
  }
  return t;
}

/** Applies one event from an agent. Mutates and returns `state` (the UI copies the reference). */
export function applyEvent(state: DataState, e: ClientEvent, now = Date.now()): DataState {
  const p = processOf(state, e.pid);
  if (e.type === 'gone') {
    p.connected = false;
    p.gone = e.reason;
    state.version++;
    return state;
  }
  const m = e.message;
  switch (m.t) {
    case 'hello':
      p.hello = m;
      p.connected = true;
      p.gone = null;
      threadOf(p, 0);
      break;
    case 'bye':
      p.connected = false;
      p.gone = 'exited';
      break;
    case 'health': {
      p.healthAt = m.time;
      if (typeof m.rss === 'number') p.rss = m.rss;
      for (const h of m.threads) {
        const t = threadOf(p, h.threadId);
        t.health = h;
        if (h.threadName) t.threadName = h.threadName;
        // a blocked thread cannot publish its delay: the block so far is its delay now
        t.history.push(Math.max(Number.isFinite(h.delay?.max) ? h.delay.max : 0, h.blockedMs || 0));
        if (t.history.length > HISTORY) t.history.splice(0, t.history.length - HISTORY);
      }
      break;
    }
    case 'finding': {
      const f = m.f;
      const t = threadOf(p, f.threadId);
      if (typeof f.threadName === 'string' && f.threadName) t.threadName = f.threadName;
      if (isBlock(f) && !f.ongoing) t.blockEndedAt = now;
      const key = `${f.pid}:${f.id}`;
      // a later version is usually of a recent finding (a block's final line): look from the end
      let at = state.findings.length - 1;
      while (at >= 0 && state.findings[at]!.key !== key) at--;
      if (at >= 0) state.findings[at] = { key, f, seenAt: state.findings[at]!.seenAt };
      else {
        state.findings.push({ key, f, seenAt: now });
        if (state.findings.length > MAX_FINDINGS) state.findings.splice(0, state.findings.length - MAX_FINDINGS);
      }
      break;
    }
  }
  state.version++;
  return state;
}

/** `c` in the UI: forgets the findings (and their tallies); processes, threads and their health stay. */
export function clearFindings(state: DataState): DataState {
  state.findings = [];
  state.version++;
  return state;
}

/** A deep enough copy for a paused view: later events do not change it. */
export function snapshot(state: DataState): DataState {
  const processes = new Map<number, ProcessState>();
  for (const [pid, p] of state.processes) {
    const threads = new Map<number, ThreadState>();
    for (const [id, t] of p.threads) threads.set(id, { ...t, history: [...t.history] });
    processes.set(pid, { ...p, threads });
  }
  return { processes, findings: [...state.findings], version: state.version };
}

// ---- views ----

export type KindFilter = FindingKind | 'all';

/** What `f` steps through: all, then each kind of finding in turn (summaries are not listed). */
const FILTERS: readonly KindFilter[] = ['all', ...REPORTED_KINDS];

/** The filter after `f`. */
export function nextFilter(filter: KindFilter): KindFilter {
  return FILTERS[(FILTERS.indexOf(filter) + 1) % FILTERS.length]!;
}

/** The filter before (`F`). */
export function previousFilter(filter: KindFilter): KindFilter {
  return FILTERS[(FILTERS.indexOf(filter) - 1 + FILTERS.length) % FILTERS.length]!;
}

export function isBlock(f: Finding): f is BlockFinding {
  return f.kind === 'block';
}

/** The findings list, newest first, of one kind (or all) and one process (or all). */
export function visibleFindings(state: DataState, filter: KindFilter, pid: number | null = null): FindingEntry[] {
  const out: FindingEntry[] = [];
  for (let i = state.findings.length - 1; i >= 0; i--) {
    const e = state.findings[i]!;
    if (filter !== 'all' && e.f.kind !== filter) continue;
    if (filter === 'all' && e.f.kind === 'summary') continue;
    if (pid !== null && e.f.pid !== pid) continue;
    out.push(e);
  }
  return out;
}

export interface SiteRow {
  key: string;
  site: Frame | null;
  count: number;
  totalMs: number;
  maxMs: number;
  /** A block at this site is going on now. */
  ongoing: boolean;
  threads: Set<string>;
}

function threadLabel(f: Finding): string {
  return `${f.pid}/${f.threadId === 0 ? 'main' : `w${f.threadId}`}`;
}

/** Blocking sites by file:line and function, heaviest total first. */
export function topBlockSites(state: DataState, pid: number | null = null): SiteRow[] {
  const rows = new Map<string, SiteRow>();
  for (const { f } of state.findings) {
    // A final line under its threshold withdrew the block.
    if (!isBlock(f) || (pid !== null && f.pid !== pid) || (!f.ongoing && !metThreshold(f))) continue;
    const key = f.site ? `${f.site.file}:${f.site.line}:${f.site.function}` : '(no app frame)';
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { key, site: f.site, count: 0, totalMs: 0, maxMs: 0, ongoing: false, threads: new Set() }));
    r.count++;
    r.totalMs += f.durationMs;
    r.maxMs = Math.max(r.maxMs, f.durationMs);
    if (f.ongoing && state.processes.get(f.pid)?.connected !== false) r.ongoing = true;
    r.threads.add(threadLabel(f));
  }
  return [...rows.values()].sort((a, b) => b.totalMs - a.totalMs || b.count - a.count);
}

export interface SyncSiteRow {
  key: string;
  api: string;
  site: Frame | null;
  count: number;
  totalMs: number;
  maxMs: number;
}

/** Sync-I/O sites (one finding per call site, updated in place by the agent), heaviest total first. */
export function syncSites(state: DataState, pid: number | null = null): SyncSiteRow[] {
  const rows: SyncSiteRow[] = [];
  for (const { key, f } of state.findings) {
    if (f.kind !== 'sync-io' || (pid !== null && f.pid !== pid)) continue;
    const x = f as Finding & { api?: unknown; count?: unknown; durationMs?: unknown; maxMs?: unknown };
    rows.push({
      key,
      api: typeof x.api === 'string' ? x.api : 'sync call',
      site: f.site,
      count: typeof x.count === 'number' ? x.count : 1,
      totalMs: typeof x.durationMs === 'number' ? x.durationMs : 0,
      maxMs: typeof x.maxMs === 'number' ? x.maxMs : typeof x.durationMs === 'number' ? x.durationMs : 0,
    });
  }
  return rows.sort((a, b) => b.totalMs - a.totalMs || b.count - a.count);
}

export interface PoolView {
  /** threadpool-saturation findings seen. */
  saturations: number;
  /** From the latest one: work queued behind the full pool, and the pool's size. */
  queued: number | null;
  poolSize: number | null;
  worstWaitMs: number;
}

export function poolView(state: DataState, pid: number | null = null): PoolView {
  const view: PoolView = { saturations: 0, queued: null, poolSize: null, worstWaitMs: 0 };
  for (const { f } of state.findings) {
    if (f.kind !== 'threadpool-saturation' || (pid !== null && f.pid !== pid)) continue;
    const x = f as Finding & { queued?: unknown; poolSize?: unknown; durationMs?: unknown };
    view.saturations++;
    if (typeof x.queued === 'number') view.queued = x.queued;
    if (typeof x.poolSize === 'number') view.poolSize = x.poolSize;
    if (typeof x.durationMs === 'number') view.worstWaitMs = Math.max(view.worstWaitMs, x.durationMs);
  }
  if (view.poolSize === null) {
    for (const p of state.processes.values()) if ((pid === null || p.pid === pid) && p.hello) view.poolSize = Math.max(view.poolSize ?? 0, p.hello.poolSize ?? 4);
  }
  return view;
}

export function countKind(state: DataState, kind: FindingKind, pid: number | null = null): number {
  let n = 0;
  for (const { f } of state.findings) if (f.kind === kind && (pid === null || f.pid === pid)) n++;
  return n;
}

export interface BlockedNow {
  pid: number;
  threadId: number;
  threadName?: string;
  /** How long it has been blocked, as of `now`. */
  ms: number;
  /** Where (from the ongoing block finding), when the watchdog has named it yet. */
  site: Frame | null;
  finding: BlockFinding | null;
}

/**
 * The threads blocked right now: an ongoing block finding whose final line has not come, or a
 * thread whose health says it is blocked, in a process still connected.
 */
export function blockedNow(state: DataState, now = Date.now()): BlockedNow[] {
  const out = new Map<string, BlockedNow>();
  for (const { f } of state.findings) {
    if (!isBlock(f) || !f.ongoing) continue;
    const p = state.processes.get(f.pid);
    if (!p?.connected) continue;
    const health = p.threads.get(f.threadId)?.health;
    if (health?.exited) continue;
    out.set(`${f.pid}:${f.threadId}`, { pid: f.pid, threadId: f.threadId, ...(f.threadName ? { threadName: f.threadName } : {}), ms: Math.max(f.durationMs, now - f.time), site: f.site, finding: f });
  }
  for (const p of state.processes.values()) {
    if (!p.connected) continue;
    for (const t of p.threads.values()) {
      const h = t.health;
      if (!h || h.exited || h.blockedMs <= 0 || t.blockEndedAt >= p.healthAt) continue;
      const key = `${p.pid}:${t.threadId}`;
      const ms = h.blockedMs + Math.max(0, now - p.healthAt);
      const known = out.get(key);
      if (known) known.ms = Math.max(known.ms, ms);
      else out.set(key, { pid: p.pid, threadId: t.threadId, ...(t.threadName ? { threadName: t.threadName } : {}), ms, site: null, finding: null });
    }
  }
  return [...out.values()].sort((a, b) => b.ms - a.ms);
}
