// The plain console lines (no dependency): sync-I/O and Atomics.wait sites (the kinds `bySite` in
// kinds.ts) get one line when first seen and, at their thread's exit, one line per site with its count
// and total time, then the thread's summary; other kinds one line each. The full console reporter
// (console.ts, at the hub) uses it for everything but blocks; a thread with no hub (see agent/outbox.ts)
// uses it alone.
import type { Finding, Frame, SummaryFinding } from '../finding.js';
import { kindRow } from '../kinds.js';
import { colorLevel, formatDuration, summaryLine, threadName, where, writeStderr, type ColorLevel } from './console-format.js';
import type { Reporter } from './reporter.js';
import { pid } from '../original.js';

interface SiteLine {
  threadId: number;
  api: string;
  site: Frame | null;
  count: number;
  durationMs: number;
  estimated: boolean;
}

export function createPlainConsoleReporter(options: { write?: (t: string) => void; cwd?: string; level?: ColorLevel } = {}): Reporter {
  const write = options.write ?? writeStderr;
  const cwd = options.cwd ?? process.cwd();
  const level = options.level ?? colorLevel();
  const bold = (t: string) => (level > 0 ? `\u001b[1m${t}\u001b[22m` : t);
  const tag = level > 0 ? '\u001b[1m\u001b[35masyncdebug\u001b[39m\u001b[22m' : 'asyncdebug';
  const sites = new Map<string, SiteLine>();
  /** Other kinds: one line per finding id, when it is final (a later line with the same id updates it). */
  const shown = new Set<string>();

  function siteFinding(f: Finding & { api?: unknown; count?: unknown; durationMs?: unknown; estimated?: unknown }): void {
    const first = !sites.has(f.id);
    const line: SiteLine = {
      threadId: f.threadId,
      api: String(f.api ?? f.kind),
      site: f.site,
      count: Number(f.count ?? 1),
      durationMs: Number(f.durationMs ?? 0),
      estimated: f.estimated === true,
    };
    sites.set(f.id, line);
    if (first) {
      write(`${tag} ${bold(line.api)} on the loop at ${where(f.site, cwd)} (${formatDuration(line.durationMs)}) · ${threadName(f.threadId, f.threadName)} · later calls here are counted, shown at exit\n`);
    }
  }

  function summary(f: SummaryFinding): void {
    for (const [id, s] of sites) {
      if (s.threadId !== f.threadId || f.pid !== pid) continue;
      sites.delete(id);
      const count = `${s.estimated ? '~' : ''}${s.count}×`;
      write(`${tag} ${bold(s.api)} ${count}, ${formatDuration(s.durationMs)} in all, at ${where(s.site, cwd)} · ${threadName(f.threadId, f.threadName)}\n`);
    }
    const text = summaryLine(f, level);
    if (text) write(text);
  }

  return {
    report(f: Finding) {
      if (f.kind === 'summary') summary(f);
      else if (kindRow(f.kind)?.bySite) siteFinding(f);
      else if (f.ongoing !== true && !shown.has(f.id)) {
        shown.add(f.id);
        write(`${tag} ${f.message}${f.site ? ` At ${where(f.site, cwd)}.` : ''} · ${threadName(f.threadId, f.threadName)}\n`);
      }
    },
  };
}
