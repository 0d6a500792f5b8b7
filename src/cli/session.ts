// What `run` and `ci` share: a report directory, the command run with the agent injected, progress
// lines while it runs, and the findings read back afterwards.
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { makePrivateTempDir } from '../private-files.js';
import type { ChalkInstance } from 'chalk';
import { formatDuration } from '../wording.js';
import { agentEnv } from './inject.js';
import { followReports } from './follow.js';
import { runCommand, type CommandResult } from './launch.js';
import { formatProblem, lineCounts, readReports, type Reports } from './report-files.js';
import { groupSites, relativeFile, runFacts, siteKey, type RunFacts, type Site } from './sites.js';
import { UsageError } from './usage.js';
import { checkCompleteness } from './completeness.js';
import { kindRow } from '../kinds.js';
import { safeText } from '../safe-text.js';

export interface SessionOptions {
  name: 'run' | 'ci';
  command: string[];
  reportDir?: string;
  root: string;
  /** Agent reporters when the user's ASYNC_DEBUG_REPORTERS names none. */
  reporters: string[];
  /** Print a line for each new site while the command runs. */
  progress: boolean;
  c: ChalkInstance;
  err: (text: string) => void;
}

export interface Session {
  reportDir: string;
  result: CommandResult;
  reports: Reports;
  sites: Site[];
  facts: RunFacts;
  elapsedMs: number;
  /** Why the reports may not hold everything the command did (empty when they do): ci fails on these. */
  incomplete: string[];
}

export async function runSession(o: SessionOptions): Promise<Session> {
  if (o.command.length === 0) throw new UsageError(`${o.name}: no command given; usage: asyncdebug ${o.name} [options] -- <command...>`);
  let reportDir: string;
  if (o.reportDir) {
    reportDir = resolve(o.reportDir);
    try {
      // New directories private (mode 700), as the agent makes them.
      await mkdir(reportDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new UsageError(`${o.name}: cannot use the report directory ${reportDir}: ${(err as Error).message}`);
    }
  } else {
    try {
      // A new directory (mkdtemp) in this user's private temp directory: no other user can look in or plant.
      reportDir = makePrivateTempDir(`${o.name}-`);
    } catch (err) {
      throw new UsageError(`${o.name}: cannot make a report directory: ${(err as Error).message}; set TMPDIR to a directory of your own, or use --report-dir DIR`);
    }
  }
  if (/^\s*(0|false|off)\s*$/i.test(process.env.ASYNC_DEBUG ?? '')) {
    o.err(`asyncdebug: ASYNC_DEBUG=${safeText(process.env.ASYNC_DEBUG ?? '', true)} turns the agent off: nothing will be found\n`);
  }
  // Reports already in a reused directory belong to earlier runs.
  const existing = new Set((await readdir(reportDir)).map((n) => join(reportDir, n)));
  const before = await lineCounts(reportDir, { ownedOnly: true });
  const env = agentEnv(process.env, { reportDir, reporters: o.reporters });
  const seen = new Set<string>();
  const follower = o.progress
    ? followReports(reportDir, before, (f) => {
        // Findings only: not the summary, nor a report's own records (aggregate, dropped).
        if (f.kind === 'summary' || !kindRow(f.kind) || !f.site) return;
        const file = relativeFile(o.root, f.site.file);
        const key = siteKey(f.kind, file, f.site.function);
        if (seen.has(key)) return;
        seen.add(key);
        const d = typeof f.durationMs === 'number' ? ` ${f.kind === 'block' && f.ongoing ? '≥' : ''}${formatDuration(f.durationMs)}` : '';
        const api = typeof f.api === 'string' ? ` ${safeText(f.api, true)}` : '';
        // The report's strings shown with their control characters made visible (safe-text.ts).
        const at = safeText(`${file}:${f.site.line} ${f.site.function}`, true);
        o.err(`${o.c.magenta('asyncdebug')} ${o.c.yellow(f.kind)}${api}${d} at ${at} ${o.c.dim(`· pid ${f.pid}${f.threadId ? ` worker ${f.threadId}` : ''}`)}\n`);
      })
    : null;
  const started = Date.now();
  const result = await runCommand(o.command, env);
  const elapsedMs = Date.now() - started;
  await follower?.stop();
  const reports = await readReports([reportDir], { skipLines: before, ownedOnly: true });
  for (const p of reports.problems) o.err(`asyncdebug: ${formatProblem(p)}\n`);
  const { reasons } = checkCompleteness(reports, existing, result);
  return { reportDir, result, reports, sites: groupSites(reports.findings, o.root), facts: runFacts(reports.findings), elapsedMs, incomplete: reasons };
}
