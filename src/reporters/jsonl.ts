// JSON Lines reporter: DIR/asyncdebug-<pid>.jsonl, one line per finding, appended with one write(2)
// each as the finding is made, so a SIGKILLed process keeps every line already written. Every thread
// of the process appends to the same file (O_APPEND keeps lines whole).
import { closeSync, mkdirSync, openSync, statSync, writeSync } from '../original.js';
import { dirname, resolve } from 'node:path';
import type { Finding } from '../finding.js';
import type { Reporter } from './reporter.js';
import { isMainThread } from 'node:worker_threads';
import { reportPath, warnOnStderr } from '../config.js';
import type { ThreadHealth } from '../thread-health.js';
import { healthLines, type HealthLines } from './health-lines.js';

/**
 * Creates the directory and its missing parents. Not `mkdirSync(dir, { recursive: true })`: on Node 20
 * that never returns for a path under /proc (it retries ENOENT forever), which would hang the app.
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    try {
      if (statSync(current).isDirectory()) break;
      throw Object.assign(new Error(`${current} is not a directory`), { code: 'ENOTDIR' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Proves at start that the report can be written (a directory that exists may still refuse files, like
 * /proc): creates the directory and the process's report file, which its summary line fills at exit
 * anyway. Synchronous open and close: no request is left pending that the app could see.
 */
export function checkReportWritable(dir: string): void {
  ensureDir(dir);
  closeSync(openSync(reportPath(dir), 'a'));
}

export function createJsonlReporter(dir: string): Reporter {
  let fd: number | null = null;
  let broken = false;
  let health: HealthLines | null = null;
  const write = (text: string) => {
    if (broken) return;
    try {
      if (fd === null) {
        ensureDir(dir);
        fd = openSync(reportPath(dir), 'a');
      }
      writeSync(fd, text);
    } catch (err) {
      broken = true;
      // Once per process: the main thread speaks for the workers and the watchdog.
      if (isMainThread) warnOnStderr(`cannot write the JSON Lines report in ${JSON.stringify(dir)} (${(err as Error).message}); findings go to the other reporters only`);
    }
  };
  return {
    report(finding: Finding) {
      write(JSON.stringify(finding) + '\n');
    },
    // Called only in the watchdog, at the hub's health tick (watchdog/hub.ts), with every thread's health
    // read from shared memory: the `health` lines cost the app's threads nothing. One write per tick.
    health(threads: readonly ThreadHealth[]) {
      if (broken) return;
      const records = (health ??= healthLines()).take(threads);
      if (records.length > 0) write(records.map((r) => JSON.stringify(r) + '\n').join(''));
    },
  };
}
