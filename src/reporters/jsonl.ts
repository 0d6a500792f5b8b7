// JSON Lines reporter: DIR/asyncdebug-<pid>.jsonl, one line per finding, appended with one write(2)
// each as the finding is made, so a SIGKILLed process keeps every line already written. Every thread
// of the process appends to the same file (O_APPEND keeps lines whole).
//
// The file is private and the process's own: the first thread creates it new (O_CREAT|O_EXCL|O_NOFOLLOW,
// mode 600 unless ASYNC_DEBUG_REPORT_MODE widens it); a name already taken (an earlier process with the
// same pid, or a file or symlink someone planted) is never appended to: the process takes a fresh name,
// said in one warning. Every other thread opens that very file (O_NOFOLLOW, same device and inode).
//
// Bounded: per site, the first findings in full and then an `aggregate` record (report-budget.ts); per
// process at most ASYNC_DEBUG_REPORT_MAX_MB, then one `dropped` record. Summaries are always written.
// A failed or short write (a full disk) is said once per process, and nothing more is written.
import { constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { clearTimeout as realClearTimeout, setTimeout as realSetTimeout } from 'node:timers';
import { threadId } from 'node:worker_threads';
import { closeSync, fstatSync, now, openSync, pid, writeSync } from '../original.js';
import type { DroppedRecord, Finding } from '../finding.js';
import type { Reporter } from './reporter.js';
import { reportPath, warnOnStderr, type Config } from '../config.js';
import { ensureDir, NEW_FILE } from '../private-files.js';
import { DROP_KINDS, Flag, firstTime, freshSuffix, processFiles, shareReport, type ProcessFiles } from '../process-files.js';
import { AGGREGATE_EVERY_MS, createSiteBudget, type ReportRecord } from './report-budget.js';
import type { ThreadHealth } from '../thread-health.js';
import { healthLines, type HealthLines } from './health-lines.js';

/** The directory's mode for a file mode: x where r is (600 gives 700, 640 gives 750). */
export function dirModeFor(fileMode: number): number {
  return fileMode | ((fileMode & 0o444) >> 2);
}

export interface ReportFile {
  fd: number;
  path: string;
}

/**
 * Creates this process's report file in `dir` (and the directory, with its parents): a new file named
 * `asyncdebug-<pid>.jsonl`, or `asyncdebug-<pid>-<random>.jsonl` when that name is taken.
 */
export function createReportFile(dir: string, mode: number, warn: (line: string) => void = warnOnStderr): ReportFile {
  ensureDir(dir, dirModeFor(mode));
  const wanted = reportPath(dir);
  let path = wanted;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, NEW_FILE | constants.O_APPEND, mode);
      if (path !== wanted) warn(`${wanted} already exists and is not this process's: not writing to it; this process reports to ${basename(path)}`);
      return { fd, path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 4) throw err;
      path = join(resolve(dir), `asyncdebug-${pid}-${freshSuffix()}.jsonl`);
    }
  }
}

/** This thread's open report (one per directory: a test may make reporters for several). */
const opened = new Map<string, ReportFile>();

/** Makes the process's report at start (the main thread): said at once when it cannot be written. */
export function openProcessReport(config: Config, warn: (line: string) => void = warnOnStderr): ReportFile {
  const dir = resolve(config.reportDir ?? '.');
  const made = createReportFile(dir, config.reportMode, warn);
  const st = fstatSync(made.fd);
  shareReport(processFiles(), { path: made.path, dev: st.dev, ino: st.ino });
  opened.set(dir, made);
  return made;
}

/** This thread's descriptor of the process's report in `dir`: the one a thread made, or a new one. */
function attach(config: Config): ReportFile {
  const dir = resolve(config.reportDir ?? '.');
  const own = opened.get(dir);
  if (own) return own;
  const shared = processFiles().report;
  if (!shared || dirname(shared.path) !== dir) return openProcessReport(config);
  const fd = openSync(shared.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
  const st = fstatSync(fd);
  if (st.dev !== shared.dev || st.ino !== shared.ino) {
    closeSync(fd);
    throw new Error(`${shared.path} was replaced after this process made it`);
  }
  const file = { fd, path: shared.path };
  opened.set(dir, file);
  return file;
}

function droppedRecord(files: ProcessFiles, capBytes: number): DroppedRecord {
  const byKind: Record<string, number> = {};
  DROP_KINDS.forEach((k, i) => {
    const n = Atomics.load(files.flags, Flag.droppedByKind + i);
    if (n) byKind[k] = n;
  });
  const n = Atomics.load(files.flags, Flag.droppedLines);
  const mb = Math.round((capBytes / 1024 / 1024) * 100) / 100;
  return {
    v: 1, id: 'dropped', kind: 'dropped', time: Number(Atomics.load(files.bytes, 1)) || now(), pid, threadId,
    message: `The report reached its cap of ${mb} MiB (ASYNC_DEBUG_REPORT_MAX_MB): ${n} later line${n === 1 ? ' was' : 's were'} not written. Summaries still are, and their counts are exact.`,
    site: null, frames: [], capBytes, droppedLines: n, dropped: byKind,
  };
}

export function createJsonlReporter(config: Config): Reporter {
  const files = processFiles();
  const cap = config.reportMaxBytes;
  const budget = createSiteBudget();
  let file: ReportFile | null = null;
  let stopped = false;
  let timer: ReturnType<typeof realSetTimeout> | null = null;

  /** Writes one line; false when it cannot (said once per process). */
  const writeLine = (text: string): boolean => {
    try {
      file ??= attach(config);
      const len = Buffer.byteLength(text);
      const n = writeSync(file.fd, text);
      if (n < len) throw new Error(`only ${n} of its ${len} bytes were written; the disk may be full`);
      return true;
    } catch (err) {
      // Every thread stops: a report that ends is read right; one with a hole in it is not.
      stopped = true;
      const where = file?.path ?? reportPath(config.reportDir ?? '.');
      if (Atomics.exchange(files.flags, Flag.writeFailed, 1) === 0) {
        warnOnStderr(`cannot write the JSON Lines report ${where} (${(err as Error).message}); it may end in a cut-off line, and nothing more is written to it`);
      }
      return false;
    }
  };

  const drop = (kind: string) => {
    const i = DROP_KINDS.indexOf(kind as (typeof DROP_KINDS)[number]);
    Atomics.add(files.flags, Flag.droppedByKind + (i < 0 ? DROP_KINDS.length - 1 : i), 1);
    Atomics.add(files.flags, Flag.droppedLines, 1);
    if (!firstTime(files, Flag.capReached)) return;
    Atomics.store(files.bytes, 1, BigInt(now()));
    writeLine(JSON.stringify(droppedRecord(files, cap)) + '\n');
    warnOnStderr(`the JSON Lines report ${file?.path ?? ''} reached its cap (ASYNC_DEBUG_REPORT_MAX_MB); later findings are left out of it, counted in its "dropped" record`);
  };

  /** Past the cap, a line is dropped (counted by its kind) instead of written. */
  const withinCap = (text: string, kind: string): boolean => {
    const len = BigInt(Buffer.byteLength(text));
    if (Number(Atomics.add(files.bytes, 0, len) + len) <= cap) return true;
    Atomics.sub(files.bytes, 0, len);
    drop(kind);
    return false;
  };

  const write = (rec: ReportRecord) => {
    if (stopped || Atomics.load(files.flags, Flag.writeFailed) !== 0) {
      stopped = true;
      return;
    }
    const text = JSON.stringify(rec) + '\n';
    if (rec.kind === 'summary') {
      const len = BigInt(Buffer.byteLength(text));
      // The dropped record's final count, then the summary: always written, past the cap too.
      if (Atomics.load(files.flags, Flag.droppedLines) > 0 && !writeLine(JSON.stringify(droppedRecord(files, cap)) + '\n')) return;
      Atomics.add(files.bytes, 0, len);
      writeLine(text);
      return;
    }
    if (withinCap(text, rec.kind)) writeLine(text);
  };

  const flushAggregates = () => {
    timer = null;
    for (const a of budget.pending(now())) write(a);
  };
  let health: HealthLines | null = null;

  return {
    report(finding: Finding) {
      if (stopped) return;
      if (finding.kind === 'summary') flushAggregates();
      for (const rec of budget.take(finding, now())) write(rec);
      if (!timer && budget.hasPending()) {
        timer = realSetTimeout(flushAggregates, AGGREGATE_EVERY_MS);
        timer.unref();
      }
    },
    // Called only in the watchdog, at the hub's health tick (watchdog/hub.ts), with every thread's health
    // read from shared memory: the `health` lines cost the app's threads nothing. One write per tick,
    // within the process's cap (they thin out by themselves: reporters/health-lines.ts).
    health(threads: readonly ThreadHealth[]) {
      if (stopped || Atomics.load(files.flags, Flag.writeFailed) !== 0) return;
      const records = (health ??= healthLines()).take(threads);
      if (records.length === 0) return;
      const text = records.map((r) => JSON.stringify(r) + '\n').join('');
      if (withinCap(text, 'health')) writeLine(text);
    },
    flush() {
      if (timer) realClearTimeout(timer);
      flushAggregates();
    },
  };
}
