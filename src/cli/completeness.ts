// Whether the reports of a run are whole enough to judge it: `ci` fails closed (exit 3) and `run` warns
// when they are not. A gate that saw nothing, or saw part of what ran, has not passed.
import { basename } from 'node:path';
import type { CommandResult } from './launch.js';
import { REPORT_NAME, type Reports } from './report-files.js';
import { safeText } from '../safe-text.js';

export interface Completeness {
  /** One line per reason the reports cannot be trusted to hold everything; empty when they can. */
  reasons: string[];
}

export const PASS_THE_AGENT_ON =
  'a command that clears the environment (env -u NODE_OPTIONS, env -i, a sandbox, a tool that drops variables) starts Node without the agent: ' +
  'pass NODE_OPTIONS (and ASYNC_DEBUG, ASYNC_DEBUG_REPORT_DIR) on, or start node with --import asyncdebug';

function agentOff(env: NodeJS.ProcessEnv): string | null {
  const v = env.ASYNC_DEBUG;
  return v !== undefined && /^\s*(0|false|off)\s*$/i.test(v) ? v : null;
}

/**
 * Why the run's reports are incomplete. `reports` is what was read after the run (lines that were there
 * before it skipped); `existing`, the paths that were in the report directory before the run (the agent
 * never appends to a file it did not make, so this run's reports are the new files); `result`, the
 * command's own process.
 */
export function checkCompleteness(reports: Reports, existing: ReadonlySet<string>, result: CommandResult, env: NodeJS.ProcessEnv = process.env): Completeness {
  const reasons: string[] = [];
  if (result.startError) return { reasons };
  const off = agentOff(env);
  const pidOf = (file: string) => Number(REPORT_NAME.exec(basename(file))?.[1]);
  const runFiles = reports.files.filter((f) => !existing.has(f));

  if (runFiles.length === 0 && reports.findings.length === 0) {
    reasons.push(off ? `ASYNC_DEBUG=${off} turned the agent off: no process of the command reported` : `no process of the command reported: the agent did not run in it; ${PASS_THE_AGENT_ON}`);
  }
  // Problems of this run: its lines, and its files (one that cannot be read, or a symlink or another
  // user's file that appeared in the directory while it ran). Files that were there before are not judged.
  const mine = reports.problems.filter((p) => p.line > 0 || !existing.has(p.file));
  const cut = mine.filter((p) => p.line > 0);
  const unreadable = mine.filter((p) => p.line === 0);
  if (cut.length) {
    const first = cut[0]!;
    reasons.push(safeText(`a report is damaged (${first.file}:${first.line}: ${first.reason}${cut.length > 1 ? `; ${cut.length - 1} more` : ''})`, true));
  }
  if (unreadable.length) reasons.push(safeText(`a report could not be read (${unreadable[0]!.file}: ${unreadable[0]!.reason})`, true));

  for (const f of reports.findings) {
    if ((f.kind as string) !== 'dropped') continue;
    reasons.push(`the report of process ${f.pid} reached its cap: ${typeof f.droppedLines === 'number' ? f.droppedLines : 'some'} line(s) were left out (raise ASYNC_DEBUG_REPORT_MAX_MB)`);
  }

  // The command's own process ended normally: its agent wrote its summary at exit, unless a write failed.
  const exitedNormally = result.signal === null && result.code !== null;
  if (exitedNormally && result.pid !== undefined && runFiles.some((f) => pidOf(f) === result.pid)) {
    const summarized = reports.findings.some((f) => f.pid === result.pid && f.kind === 'summary' && f.threadId === 0);
    if (!summarized) reasons.push(`the command's process (pid ${result.pid}) exited with code ${result.code} but its report has no summary: it is incomplete (a write failed, e.g. a full disk)`);
  }
  return { reasons };
}
