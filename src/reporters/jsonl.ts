// JSON Lines reporter: DIR/asyncdebug-<pid>.jsonl, one line per finding, appended with one write(2)
// each as the finding is made, so a SIGKILLed process keeps every line already written. Every thread
// of the process appends to the same file (O_APPEND keeps lines whole).
import { mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Finding } from '../finding.js';
import type { Reporter } from './reporter.js';
import { warnOnStderr } from '../config.js';

export function reportPath(dir: string, pid = process.pid): string {
  return join(resolve(dir), `asyncdebug-${pid}.jsonl`);
}

export function createJsonlReporter(dir: string): Reporter {
  let fd: number | null = null;
  let broken = false;
  return {
    report(finding: Finding) {
      if (broken) return;
      try {
        if (fd === null) {
          mkdirSync(resolve(dir), { recursive: true });
          fd = openSync(reportPath(dir), 'a');
        }
        writeSync(fd, JSON.stringify(finding) + '\n');
      } catch (err) {
        broken = true;
        warnOnStderr(`cannot write the JSON Lines report in ${JSON.stringify(dir)} (${(err as Error).message}); findings go to the other reporters only`);
      }
    },
  };
}
