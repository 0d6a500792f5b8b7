// The JSON Lines reports of a run, as the HTML page draws them (model.ts): every thread with its health
// lines and summary, every finding as a mark on its thread's timeline, the top-sites table (the same
// grouping as `asyncdebug report`: cli/sites.ts), and the source lines around each site.
import type { ReportLine, Reports } from '../cli/report-files.js';
import { groupSites, relativeFile } from '../cli/sites.js';
import { isHealthLine } from '../health-record.js';
import { kindRow } from '../kinds.js';
import { threadName } from '../wording.js';
import { SourceReader } from './code-frames.js';
import { toMark } from './marks.js';
import type { CodeFrame, Mark, ReportModel, SiteRow, ThreadModel, ThreadSummary } from './model.js';
import { Tables } from './tables.js';
import { cleanLine, cleanText } from './text.js';

/** Beyond this many findings the page keeps the longest blocks, then the earliest of the rest. */
export const MAX_MARKS = 20_000;
/** Code frames for at most this many sites. */
export const MAX_CODE_FRAMES = 2_000;

export interface ModelOptions {
  root: string;
  /** The command that ran (`asyncdebug ci`), when known. */
  command?: string[] | null;
  tool: string;
  builtAt?: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Thread keys as the top-sites table names them (cli/sites.ts: `pid 123 main`, `pid 123 worker 2`). */
export function threadKey(pid: number, threadId: number): string {
  return `pid ${pid} ${threadId === 0 ? 'main' : `worker ${threadId}`}`;
}

function summaryOf(f: ReportLine): ThreadSummary {
  const d = (f.loopDelay ?? {}) as Record<string, unknown>;
  return {
    p50: num(d.p50) ?? 0,
    p99: num(d.p99) ?? 0,
    max: num(d.max) ?? 0,
    elu: num(f.elu) ?? 0,
    startupBlockMs: num(f.startupBlockMs),
    unnamedBlocks: num(f.unnamedBlocks),
    unnamedBlockMs: num(f.unnamedBlockMs),
    droppedFindings: num(f.droppedFindings),
    message: cleanText(f.message, 1000),
  };
}

class Threads {
  readonly list: ThreadModel[] = [];
  private readonly index = new Map<string, number>();

  of(f: ReportLine): number {
    const id = `${f.pid}:${f.threadId}`;
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.list.length;
      this.list.push({ pid: f.pid, threadId: f.threadId, key: threadKey(f.pid, f.threadId), label: threadName(f.threadId), start: null, health: { t: [], p50: [], p99: [], max: [], elu: [] }, summary: null });
      this.index.set(id, i);
    }
    const t = this.list[i]!;
    if (typeof f.threadName === 'string' && f.threadName) t.label = cleanLine(threadName(f.threadId, f.threadName), 200);
    return i;
  }
}

/** Which findings become marks: all, or beyond MAX_MARKS the longest blocks, then the earliest others. */
function chooseMarks(findings: ReportLine[]): { kept: ReportLine[]; omitted: number } {
  if (findings.length <= MAX_MARKS) return { kept: findings, omitted: 0 };
  const rank = (f: ReportLine) => (f.kind === 'block' ? -(num(f.durationMs) ?? 0) - 1e12 : num(f.time) ?? 0);
  const kept = [...findings].sort((a, b) => rank(a) - rank(b)).slice(0, MAX_MARKS);
  return { kept, omitted: findings.length - MAX_MARKS };
}

export async function buildModel(reports: Reports, o: ModelOptions): Promise<ReportModel> {
  const tables = new Tables(o.root);
  const threads = new Threads();
  const findings: ReportLine[] = [];
  const modes = new Set<string>();
  let start = Infinity;
  let end = -Infinity;
  const seen = (t: unknown, d = 0) => {
    const time = num(t);
    if (time === null || time <= 0) return;
    start = Math.min(start, time);
    end = Math.max(end, time + Math.max(0, d));
  };
  for (const f of reports.findings) {
    const thread = threads.of(f);
    if (isHealthLine(f)) {
      const h = threads.list[thread]!.health;
      const d = (f.loopDelay ?? {}) as Record<string, unknown>;
      const t = num(f.time);
      if (t === null) continue;
      h.t.push(t);
      h.p50.push(num(d.p50) ?? 0);
      h.p99.push(num(d.p99) ?? 0);
      h.max.push(num(d.max) ?? 0);
      h.elu.push(num(f.elu) ?? 0);
      seen(t);
    } else if (f.kind === 'summary') {
      threads.list[thread]!.summary = summaryOf(f);
      threads.list[thread]!.start = num(f.time);
      if (typeof f.mode === 'string') modes.add(f.mode);
      seen(f.time);
    } else {
      findings.push(f);
      seen(f.time, f.kind === 'block' ? num(f.durationMs) ?? 0 : 0);
    }
  }

  const { kept, omitted } = chooseMarks(findings);
  kept.sort((a, b) => (num(a.time) ?? 0) - (num(b.time) ?? 0));
  const marks: Mark[] = kept.map((f) => toMark(f, threads.of(f), tables));
  const sites = siteRows(findings, kept, marks, o.root);
  const { codeFrames, omittedFrames } = await readCodeFrames(kept, marks, o.root);

  return {
    format: 1,
    builtAt: o.builtAt ?? Date.now(),
    tool: cleanLine(o.tool, 100),
    command: o.command && o.command.length ? cleanLine(o.command.join(' '), 2000) : null,
    root: cleanLine(o.root, 1000),
    files: reports.files.map((f) => cleanLine(relativeFile(o.root, f), 1000)),
    problems: reports.problems.length,
    start: Number.isFinite(start) ? start : o.builtAt ?? Date.now(),
    end: Number.isFinite(end) ? end : o.builtAt ?? Date.now(),
    mode: modes.size === 0 ? null : modes.size > 1 ? 'mixed' : (modes.values().next().value as 'default' | 'debug'),
    strings: tables.strings,
    frames: tables.frames,
    stacks: tables.stacks,
    codeFrames,
    threads: threads.list,
    marks,
    sites,
    omitted: { marks: omitted, codeFrames: omittedFrames },
  };
}

/** The top-sites table (cli/sites.ts's grouping), each row linked to the mark of its worst finding. */
function siteRows(all: ReportLine[], kept: ReportLine[], marks: Mark[], root: string): SiteRow[] {
  const sites = groupSites(all, root);
  const rowOf = new Map(sites.map((s, i) => [s.key, i]));
  const rows: SiteRow[] = sites.map((s) => ({
    kind: cleanLine(s.kind, 60),
    file: s.file === null ? null : cleanLine(s.file, 500),
    fn: s.function === null ? null : cleanLine(s.function, 300),
    line: s.line,
    count: s.count,
    timed: kindRow(s.kind)?.timed ?? true,
    totalMs: Math.round(s.totalMs * 100) / 100,
    worstMs: s.worstMs,
    threads: s.threads.map((t) => cleanLine(t, 100)),
    apis: s.apis.map((a) => cleanLine(a, 200)),
    worst: -1,
  }));
  kept.forEach((f, i) => {
    // The site's key as cli/sites.ts makes it: group the one finding.
    const key = groupSites([f], root)[0]?.key;
    const row = key === undefined ? undefined : rowOf.get(key);
    if (row === undefined) return;
    marks[i]!.siteRow = row;
    // The worst finding is the one whose message the site kept (cli/sites.ts).
    if (rows[row]!.worst < 0 || f.message === sites[row]!.message) rows[row]!.worst = i;
  });
  return rows;
}

async function readCodeFrames(kept: ReportLine[], marks: Mark[], root: string): Promise<{ codeFrames: CodeFrame[]; omittedFrames: number }> {
  const reader = new SourceReader();
  const codeFrames: CodeFrame[] = [];
  const byPlace = new Map<string, number>();
  let omittedFrames = 0;
  for (let i = 0; i < kept.length; i++) {
    const site = kept[i]!.site;
    if (!site) continue;
    const place = `${site.file}:${site.line}:${site.column}`;
    let index = byPlace.get(place);
    if (index === undefined) {
      if (byPlace.size >= MAX_CODE_FRAMES) {
        omittedFrames++;
        continue;
      }
      const frame = await reader.frame(site.file, site.line, site.column);
      index = frame ? codeFrames.push({ ...frame, file: cleanLine(relativeFile(root, frame.file), 500) }) - 1 : -1;
      byPlace.set(place, index);
    }
    marks[i]!.code = index;
  }
  return { codeFrames, omittedFrames };
}
