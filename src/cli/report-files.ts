// Reading JSON Lines reports (contract v1) from files and directories. A line that is not a finding
// (truncated, broken, foreign) is named by file:line and skipped; a later line with the same pid and
// id supersedes the earlier one, so each finding counts once.
import { constants } from 'node:fs';
import { lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Finding } from '../finding.js';
import { safeText } from '../safe-text.js';

export type ReportLine = Finding & { [extra: string]: unknown };

export interface Problem {
  file: string;
  /** 1-based line in the file, or 0 for the file as a whole. */
  line: number;
  reason: string;
}

/** The start of the reason of a last line written only in part (its newline is part of the same write). */
export const CUT_OFF = 'cut off';

export interface Reports {
  /** The latest line of every finding, in the order findings were first seen. */
  findings: ReportLine[];
  files: string[];
  problems: Problem[];
}

/** `asyncdebug-<pid>.jsonl`, or `asyncdebug-<pid>-<random>.jsonl` when the agent found its name taken. */
export const REPORT_NAME = /^asyncdebug-(\d+)(?:-[a-z0-9]+)?\.jsonl$/;

export interface ListOptions {
  /** Only files of this user: a report another user put in the directory is named and not read (run, ci). */
  ownedOnly?: boolean;
}

/** Why a report file found in a directory is not read, or null when it is read. */
async function notReadable(file: string, options: ListOptions): Promise<string | null> {
  const st = await lstat(file);
  // A report is a file its process made: a symlink is someone pointing the reader elsewhere (a secret
  // whose first bytes a parse error would print into a CI log).
  if (st.isSymbolicLink()) return 'a symbolic link, not followed';
  if (!st.isFile()) return 'not a regular file';
  const me = typeof process.getuid === 'function' ? process.getuid() : null;
  if (options.ownedOnly && me !== null && st.uid !== me) return `belongs to another user (uid ${st.uid}), not read`;
  return null;
}

/**
 * The report files named by the paths: a directory gives its asyncdebug-<pid>.jsonl files (never a
 * symlink; with `ownedOnly`, only this user's), a file is taken as named.
 */
export async function reportFiles(paths: string[], problems: Problem[], options: ListOptions = {}): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    try {
      if ((await stat(abs)).isDirectory()) {
        const names = (await readdir(abs)).filter((n) => REPORT_NAME.test(n)).sort();
        for (const name of names) {
          const file = join(abs, name);
          const why = await notReadable(file, options).catch((err: Error) => err.message);
          if (why) problems.push({ file, line: 0, reason: why });
          else files.push(file);
        }
      } else {
        files.push(abs);
      }
    } catch (err) {
      problems.push({ file: p, line: 0, reason: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message });
    }
  }
  return files;
}

/** A report's text, never through a symlink put in its place after it was listed. */
async function readReportText(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Why a parsed value is not a contract finding, or null when it is one. */
function notAFinding(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || typeof v.kind !== 'string') return 'no "id" or "kind"';
  if (typeof v.pid !== 'number' || typeof v.threadId !== 'number') return 'no "pid" or "threadId"';
  if (v.site !== null && v.site !== undefined && (typeof v.site !== 'object' || typeof (v.site as Record<string, unknown>).file !== 'string')) return '"site" is not a frame';
  return null;
}

/** Parses report text; `firstLine` skips the lines before it (already read elsewhere). */
export function parseReportText(file: string, text: string, problems: Problem[], firstLine = 1): ReportLine[] {
  const out: ReportLine[] = [];
  const lines = text.split('\n');
  for (let i = firstLine - 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    // The agent writes each line with its newline in one write(2): a last line without one is a write
    // that failed part-way (a full disk), whether or not what was written parses.
    const last = i === lines.length - 1;
    if (last) problems.push({ file, line: i + 1, reason: `${CUT_OFF}: the last line has no newline (a write failed part-way, e.g. a full disk)` });
    let value: unknown;
    try {
      value = JSON.parse(raw) as unknown;
    } catch (err) {
      if (!last) problems.push({ file, line: i + 1, reason: `broken line (${(err as Error).message})` });
      continue;
    }
    const why = notAFinding(value);
    if (why) {
      problems.push({ file, line: i + 1, reason: `not a finding: ${why}` });
      continue;
    }
    const f = value as ReportLine;
    if (f.site === undefined) f.site = null;
    if (!Array.isArray(f.frames)) f.frames = [];
    out.push(f);
  }
  return out;
}

/** Latest line per pid and id, in first-seen order. */
export function supersede(lines: ReportLine[]): ReportLine[] {
  const byId = new Map<string, ReportLine>();
  for (const l of lines) {
    const key = `${l.pid}:${l.id}`;
    if (byId.has(key)) byId.delete(key);
    byId.set(key, l);
  }
  return [...byId.values()];
}

export interface ReadOptions extends ListOptions {
  /** Per file, lines to skip (they were there before this run started). */
  skipLines?: Map<string, number>;
}

export async function readReports(paths: string[], options: ReadOptions = {}): Promise<Reports> {
  const problems: Problem[] = [];
  const files = await reportFiles(paths, problems, options);
  const named = new Set(paths.map((p) => resolve(p)));
  const lines: ReportLine[] = [];
  for (const file of files) {
    let text: string;
    try {
      // A file named on the command line is read as named; one found in a directory, never through a link.
      text = named.has(file) ? await readFile(file, 'utf8') : await readReportText(file);
    } catch (err) {
      problems.push({ file, line: 0, reason: (err as Error).message });
      continue;
    }
    lines.push(...parseReportText(file, text, problems, (options.skipLines?.get(file) ?? 0) + 1));
  }
  return { findings: supersede(lines), files, problems };
}

/** How many lines each report file in the directory has now (to skip them later). */
export async function lineCounts(dir: string, options: ListOptions = {}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const files = await reportFiles([dir], [], options);
  for (const file of files) {
    try {
      const text = await readReportText(file);
      counts.set(file, text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length);
    } catch {
      // unreadable now: it will be named when read
    }
  }
  return counts;
}

export function formatProblem(p: Problem): string {
  const file = safeText(p.file, true);
  const reason = safeText(p.reason, true);
  return p.line > 0 ? `${file}:${p.line}: ${reason}; skipped` : `${file}: ${reason}`;
}
