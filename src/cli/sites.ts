// Findings grouped by kind and site. A site is the file (relative to the project root) and the
// function of the finding's first application frame, and its caller (the next application frame
// outward: file and function), without lines: an edit above the code does not make it another site, and
// a new caller of a helper that was already slow is a site of its own. Findings with no application frame (the tool's own code: a test runner,
// npm; a block the stack could not name) form one group per kind with file null. Module loading
// after start-up (`phase: "module-load"`: a block spent loading, a loader's own sync I/O) is a site of
// its own kind, `module-load`, budgeted apart; a block line under its threshold (withdrawn) is no site.
import { isAbsolute, relative, sep } from 'node:path';
import type { ReportLine } from './report-files.js';
import { metThreshold, type Frame } from '../finding.js';
import { isAppFrame } from '../frames/frames.js';
import { isHealthLine } from '../health-record.js';
import { isMostlyStarved } from '../detectors/block/cpu-split.js';

/** The site kind of blocks spent loading modules after start-up (a warm-up, budgeted apart). */
export const MODULE_LOAD = 'module-load';

/** The application frame a site's function was called from (file relative to the root, as a site's). */
export interface SiteCaller {
  file: string;
  function: string;
}

export interface Site {
  /** `kind file function[ ← caller]`: the key of budgets, baselines and fingerprints. */
  key: string;
  /** The finding's kind, or `module-load` for a finding in that phase. */
  kind: string;
  /** Relative to the root with `/`, absolute when outside it; null: no application frame. */
  file: string | null;
  function: string | null;
  /** The next application frame outward from the site's, or null (called from outside the app's code). */
  caller: SiteCaller | null;
  /** Where the worst finding was (for annotations; not part of the key). */
  absFile: string | null;
  line: number;
  column: number;
  /** Findings (after superseding) at this site. */
  findings: number;
  /** Occurrences: blocks, or sync calls (their `count`). */
  count: number;
  /** The longest single block or call, ms. */
  worstMs: number;
  /**
   * The most time one block spent at this site, ms: the site's share of the thread's own time in it
   * (on a CPU or asleep; the wall clock where the split is unknown). A block spread over many sites
   * holds each of them for less than its whole. For other kinds, `worstMs`.
   */
  ownMs: number;
  /** The block threshold the findings were made with (the largest, when processes differed). */
  thresholdMs: number;
  /** The site is in a test file (test/, tests/, __tests__/, *.test.*, *.spec.*): the test's own work. */
  testCode: boolean;
  totalMs: number;
  /** The message of the worst finding. */
  message: string;
  /** `pid 123 main`, `pid 123 worker 2`. */
  threads: string[];
  /** The APIs of its findings (sync calls, a block inside one), the worst finding's first. */
  apis: string[];
  /** A block still going on when its process ended (killed). */
  ongoing: boolean;
  /** No application frame because there was no stack at all (see NO_STACK). */
  noStack: boolean;
  /** For a block with no application frame: why, as its worst finding said. */
  reason: string | null;
  /**
   * The worst finding's line is of the code as a test runner transformed it, not of the source: its
   * process ended before the source map was read (a block's final line maps it). Said, never pointed at.
   */
  generated: boolean;
}

export const NO_APP_FRAME = '(no app frame)';
/** A block the thread wrote itself before the watchdog was up (early in a process): no stack at all. */
export const NO_STACK = '(no stack)';

export function relativeFile(root: string, file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return file;
  return rel.split(sep).join('/');
}

export function siteKey(kind: string, file: string | null, fn: string | null, noStack = false, caller: SiteCaller | null = null): string {
  const leaf = `${kind} ${file ?? (noStack ? NO_STACK : NO_APP_FRAME)} ${fn ?? ''}`.trimEnd();
  return caller ? `${leaf} ← ${callerLabel(caller, file)}` : leaf;
}

/** A caller as keys and tables name it: its function, with its file when that is not the site's. */
export function callerLabel(caller: SiteCaller, siteFile: string | null): string {
  return caller.file === siteFile ? caller.function : `${caller.file} ${caller.function}`;
}

function sameFrame(a: Frame, b: Frame): boolean {
  return a.file === b.file && a.line === b.line && a.column === b.column;
}

/** The next application frame outward from a finding's site in its stack (the heavy way's, for a block). */
export function callerOf(f: ReportLine, root: string): SiteCaller | null {
  if (!f.site) return null;
  const at = f.frames.findIndex((fr) => sameFrame(fr, f.site!));
  if (at < 0) return null;
  const next = f.frames.slice(at + 1).find((fr) => isAppFrame(fr));
  return next ? { file: relativeFile(root, next.file), function: next.function || '<anonymous>' } : null;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** One finding's worst single duration: a block's duration, a sync site's slowest call. */
function worstOf(f: ReportLine): number {
  if (f.kind === 'block') return num(f.durationMs);
  return typeof f.maxMs === 'number' ? f.maxMs : num(f.durationMs) / Math.max(1, num(f.count) || 1);
}

/** The block threshold when a report does not say (ASYNC_DEBUG_SLOW_MS's default). */
const DEFAULT_THRESHOLD_MS = 100;

/**
 * A block's time at its site (see Site.ownMs): the named path's share of the thread's own time. Its time
 * asleep counts only when the thread did not wait for a CPU for half the block or more: a thread that
 * waits that long sleeps for the machine too (page faults under memory pressure, locks held by threads
 * of its process that wait for a CPU). fastify's suite on loaded cores had a `server.listen` gap of 2.1 s:
 * 15 ms on a CPU, 223 ms asleep, 1.87 s waiting for a CPU. A sync API's sleep counts all the same. The
 * watchdog counts such sleep as the wait itself now (cpu-split.ts chargeStarvedSleep, the same rule);
 * this is for lines written before it did.
 */
function ownOf(f: ReportLine): number {
  if (f.kind !== 'block') return worstOf(f);
  const split = typeof f.cpuMs === 'number' && typeof f.sleepMs === 'number' ? { cpuMs: f.cpuMs, sleepMs: f.sleepMs, starvedMs: typeof f.starvedMs === 'number' ? f.starvedMs : 0 } : null;
  // A sync API in flight (readFileSync, Atomics.wait) slept itself, however long the thread also waited.
  const inSyncApi = (f.origin as { type?: unknown } | undefined)?.type === 'sync-api';
  const own = split ? split.cpuMs + (!inSyncApi && isMostlyStarved(split) ? 0 : split.sleepMs) : num(f.durationMs);
  const top = Array.isArray(f.profile) ? (f.profile[0] as { share?: unknown; paths?: { share?: unknown }[] } | undefined) : undefined;
  const share = f.caller && typeof top?.paths?.[0]?.share === 'number' ? top.paths[0].share : typeof top?.share === 'number' ? top.share : 1;
  return own * Math.min(1, Math.max(0, share));
}

const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'spec', '__mocks__']);

/** Whether a site's file (relative to the root, `/`-separated) is a test file: the test's own code. */
export function isTestFile(file: string): boolean {
  const parts = file.split('/');
  const base = parts.at(-1) ?? '';
  return /\.(test|spec)\.[cm]?[jt]sx?$/.test(base) || parts.slice(0, -1).some((p) => TEST_DIRS.has(p));
}

/** A block line under its threshold: a block reported while it went on that turned out to be none. */
export function isWithdrawn(f: ReportLine): boolean {
  return f.kind === 'block' && !metThreshold(f);
}

/** The kind a finding's site is grouped and budgeted under: module loading after start-up apart
 *  (a block spent loading, a loader's own sync I/O). */
function siteKind(f: ReportLine): string {
  return f.phase === MODULE_LOAD ? MODULE_LOAD : f.kind;
}

/** The site of a leaf (kind, file, function) at a line, whatever its caller: where an aggregate's findings go. */
function siteAtLine(sites: Map<string, Site>, leaf: string, line: number | undefined): Site | undefined {
  let any: Site | undefined;
  for (const s of sites.values()) {
    if (s.key !== leaf && !s.key.startsWith(`${leaf} ← `)) continue;
    if (s.line === line) return s;
    any ??= s;
  }
  return any;
}

/** Counts one finding (or an aggregate's findings) into its site. */
function addFinding(s: Site, f: ReportLine, agg: boolean): void {
  s.findings += agg ? num(f.count) : 1;
  s.count += agg ? num(f.count) : f.kind === 'block' ? 1 : Math.max(1, num(f.count));
  s.totalMs += num(agg ? f.totalMs : f.durationMs);
  const worst = agg ? num(f.worstMs) : worstOf(f);
  s.ownMs = Math.max(s.ownMs, agg ? num(f.worstMs) : ownOf(f));
  if (typeof f.thresholdMs === 'number' && f.thresholdMs > 0) s.thresholdMs = Math.max(s.thresholdMs, f.thresholdMs);
  const api = typeof f.api === 'string' ? f.api : null;
  if (api && !s.apis.includes(api)) s.apis.push(api);
  if (worst > s.worstMs) {
    s.worstMs = worst;
    // The API of the line shown first (the table names the site by its worst finding's line).
    if (api) s.apis = [api, ...s.apis.filter((a) => a !== api)];
    if (!agg || s.findings === num(f.count)) s.message = f.message;
    if (!agg) s.reason = typeof f.reason === 'string' ? f.reason : null;
    s.absFile = f.site?.file ?? null;
    s.line = f.site?.line ?? 0;
    s.column = f.site?.column ?? 0;
    s.generated = f.site?.generated === true;
  }
  const thread = `pid ${f.pid} ${f.threadId === 0 ? 'main' : `worker ${f.threadId}`}`;
  if (!s.threads.includes(thread)) s.threads.push(thread);
  if (f.kind === 'block' && f.ongoing === true) s.ongoing = true;
}

export function groupSites(findings: ReportLine[], root: string): Site[] {
  const sites = new Map<string, Site>();
  // A report's own records: `aggregate` stands for `count` findings of kind `of` at a site past its full
  // records (docs/report-format.md), with the site's frame alone; `dropped` and `health` are at no site.
  const isAggregate = (l: ReportLine) => (l.kind as string) === 'aggregate';
  const lines = findings.filter((l) => l.kind !== 'summary' && !isHealthLine(l) && (l.kind as string) !== 'dropped' && !isWithdrawn(l));
  // Full records first: an aggregate (which knows no caller) joins the site they made at its line.
  for (const line of [...lines.filter((l) => !isAggregate(l)), ...lines.filter(isAggregate)]) {
    const agg = isAggregate(line);
    const f = agg ? ({ ...line, kind: String(line.of) } as ReportLine) : line;
    const kind = siteKind(f);
    const file = f.site ? relativeFile(root, f.site.file) : null;
    const fn = f.site ? f.site.function || '<anonymous>' : null;
    const noStack = !f.site && f.frames.length === 0;
    const leaf = siteKey(kind, file, fn, noStack);
    const joined = agg ? siteAtLine(sites, leaf, f.site?.line) : undefined;
    const caller = joined ? joined.caller : agg ? null : callerOf(f, root);
    const key = siteKey(kind, file, fn, noStack, caller);
    let s = sites.get(key);
    if (!s) {
      s = { key, kind, file, function: fn, caller, absFile: f.site?.file ?? null, line: f.site?.line ?? 0, column: f.site?.column ?? 0, findings: 0, count: 0, worstMs: -1, ownMs: 0, thresholdMs: 0, testCode: file !== null && isTestFile(file), totalMs: 0, message: f.message, threads: [], apis: [], ongoing: false, noStack, reason: null, generated: false };
      sites.set(key, s);
    }
    addFinding(s, f, agg);
  }
  for (const s of sites.values()) {
    s.worstMs = Math.max(0, Math.round(s.worstMs * 100) / 100);
    s.ownMs = Math.round(s.ownMs * 100) / 100;
    s.thresholdMs ||= DEFAULT_THRESHOLD_MS;
  }
  // Blocks first (then module loading); within a kind the app's sites, worst first, then the ones
  // without an app frame.
  const kindRank = (k: string) => (k === 'block' ? 0 : k === MODULE_LOAD ? 1 : 2);
  const appRank = (s: Site) => (s.file === null ? 1 : 0);
  return [...sites.values()].sort(
    (a, b) => kindRank(a.kind) - kindRank(b.kind) || a.kind.localeCompare(b.kind) || appRank(a) - appRank(b) || b.worstMs - a.worstMs || a.key.localeCompare(b.key),
  );
}

export interface RunFacts {
  processes: number;
  threads: number;
  /** Blocks reported while they went on whose final line was under the threshold (no sites). */
  withdrawn?: number;
}

/** Processes and threads that wrote anything (every thread writes a summary at exit). */
export function runFacts(findings: ReportLine[]): RunFacts {
  const pids = new Set<number>();
  const threads = new Set<string>();
  let withdrawn = 0;
  for (const f of findings) {
    pids.add(f.pid);
    threads.add(`${f.pid}:${f.threadId}`);
    if (isWithdrawn(f)) withdrawn++;
  }
  return { processes: pids.size, threads: threads.size, ...(withdrawn ? { withdrawn } : {}) };
}
