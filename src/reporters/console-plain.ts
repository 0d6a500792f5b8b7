// The plain console lines (no dependency): sync-I/O and Atomics.wait sites (the kinds `bySite` in
// kinds.ts) get one line when first seen and, at their thread's exit, one line per site with its count
// and total time, then the thread's summary; other kinds one line each, bounded per site and per minute
// (console-limit.ts). The full console reporter (console.ts, at the hub) uses it for everything but
// blocks; a thread with no hub (see agent/outbox.ts) uses it alone.
import type { Finding, Frame, SummaryFinding } from '../finding.js';
import { kindRow } from '../kinds.js';
import { colorLevel, formatDuration, summaryLine, threadName, where as whereRaw, writeStderr, type ColorLevel } from './console-format.js';
import { createConsoleLimit, LINES_PER_MINUTE, type ConsoleLimit, type Folded } from './console-limit.js';
import { safeText } from '../safe-text.js';

/** A frame's place as shown: control characters in a path made visible (safe-text.ts). */
const where = (frame: Frame | null, cwd: string) => safeText(whereRaw(frame, cwd), true);
import type { Reporter } from './reporter.js';
import { now as agentNow, pid } from '../original.js';

/** Sites of the `bySite` kinds given a first line at most (their counts at exit are one line each anyway). */
const MAX_SITE_LINES = 10_000;

interface SiteLine {
  threadId: number;
  api: string;
  site: Frame | null;
  count: number;
  durationMs: number;
  estimated: boolean;
  /** A module loader's own calls (`phase: module-load`): shown only in the thread's exit lines. */
  loader: boolean;
}

export interface PlainOptions {
  write?: (t: string) => void;
  cwd?: string;
  level?: ColorLevel;
  /** Shared with the full console reporter, so that one limit holds over all its lines. */
  limit?: ConsoleLimit;
  now?: () => number;
}

export function createPlainConsoleReporter(options: PlainOptions = {}): Reporter {
  const write = options.write ?? writeStderr;
  const limit = options.limit ?? createConsoleLimit();
  const now = options.now ?? agentNow;
  const cwd = options.cwd ?? process.cwd();
  // Decided at the first line written: asking whether stderr is a terminal loads node:tty (and node:net),
  // and a thread that reports for itself at exit (its hub never came up) mostly has nothing to say.
  let decided = options.level;
  const level = (): ColorLevel => (decided ??= colorLevel());
  const bold = (t: string) => (level() > 0 ? `\u001b[1m${t}\u001b[22m` : t);
  const tag = () => (level() > 0 ? '\u001b[1m\u001b[35masyncdebug\u001b[39m\u001b[22m' : 'asyncdebug');
  const sites = new Map<string, SiteLine>();
  /** Other kinds: one line per finding id, when it is final (a later line with the same id updates it). */
  const shown = new Set<string>();

  function siteFinding(f: Finding & { api?: unknown; count?: unknown; durationMs?: unknown; estimated?: unknown; phase?: unknown }): void {
    const first = !sites.has(f.id);
    const line: SiteLine = {
      threadId: f.threadId,
      api: String(f.api ?? f.kind),
      site: f.site,
      count: Number(f.count ?? 1),
      durationMs: Number(f.durationMs ?? 0),
      estimated: f.estimated === true,
      loader: f.phase === 'module-load',
    };
    sites.set(f.id, line);
    // A loader reading the modules it loads (vitest's, tsx's) is a warm-up at the loader's own line, not
    // the app's: not a live line (a vitest suite printed one per test file), still in the exit lines.
    if (first && !line.loader && sites.size <= MAX_SITE_LINES && lineAllowed()) {
      write(`${tag()} ${bold(safeText(line.api, true))} on the loop at ${where(f.site, cwd)} (${formatDuration(line.durationMs)}) · ${threadName(f.threadId, f.threadName)} · later calls here are counted, shown at exit\n`);
    }
  }

  const moreLine = (m: Folded) => `${tag()} ${m.count} more ${m.kind} finding${m.count === 1 ? '' : 's'} at ${m.at}${m.totalMs > 0 ? ` (the worst ${formatDuration(m.worstMs)})` : ''} · ${m.thread} · not shown one by one\n`;
  const hiddenLine = (n: number) => `${tag()} ${n} more finding${n === 1 ? ' was' : 's were'} not shown in the last minute (at most ${LINES_PER_MINUTE} a minute); the summary counts them\n`;

  /** One more line over all sites: within the per-minute limit, after saying what it held back. */
  function lineAllowed(): boolean {
    const t = now();
    if (!limit.line(t)) return false;
    const hidden = limit.hidden(t);
    if (hidden) write(hiddenLine(hidden));
    return true;
  }

  /** A finding of another kind: its line, unless its site already had its lines (then counted). */
  function other(f: Finding): void {
    if (shown.size < MAX_SITE_LINES * 10) shown.add(f.id);
    const t = now();
    const at = where(f.site, cwd);
    const thread = threadName(f.threadId, f.threadName);
    const key = `${f.kind} ${f.pid}:${f.threadId} ${f.site ? `${f.site.file}:${f.site.line}` : ''}`;
    const d = (f as { durationMs?: unknown }).durationMs;
    if (!limit.admit(key, { kind: f.kind, pid: f.pid, threadId: f.threadId, at, thread, durationMs: typeof d === 'number' ? d : 0 }, t)) {
      const due = limit.due(key, t);
      if (due) write(moreLine(due));
      return;
    }
    if (!lineAllowed()) return;
    write(`${tag()} ${safeText(f.message, true)}${f.site ? ` At ${at}.` : ''} · ${thread}\n`);
  }

  function summary(f: SummaryFinding): void {
    let loaderCalls = 0;
    for (const [id, s] of sites) {
      if (s.threadId !== f.threadId || f.pid !== pid) continue;
      sites.delete(id);
      if (s.loader) loaderCalls += s.count;
      const count = `${s.estimated ? '~' : ''}${s.count}×`;
      const loader = s.loader ? ' (a module loader loading modules)' : '';
      write(`${tag()} ${bold(safeText(s.api, true))} ${count}, ${formatDuration(s.durationMs)} in all, at ${where(s.site, cwd)}${loader} · ${threadName(f.threadId, f.threadName)}\n`);
    }
    for (const m of limit.atThreadExit(f.pid, f.threadId)) if (m.kind !== 'block') write(moreLine(m));
    const hidden = limit.hidden(now(), true);
    if (hidden) write(hiddenLine(hidden));
    // The loader's calls had their line above: the exit line counts the app's (a vitest process whose
    // only sync calls were its loader's gets none).
    const counts = loaderCalls > 0 ? { ...f.counts, 'sync-io': Math.max(0, (f.counts['sync-io'] ?? 0) - loaderCalls) } : f.counts;
    const text = summaryLine(counts === f.counts ? f : { ...f, counts }, level);
    if (text) write(text);
  }

  return {
    report(f: Finding) {
      if (f.kind === 'summary') summary(f);
      else if (kindRow(f.kind)?.bySite) siteFinding(f);
      else if (f.ongoing !== true && !shown.has(f.id)) other(f);
    },
  };
}
