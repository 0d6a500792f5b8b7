// `asyncdebug run [options] -- <command...>`: the command with the agent in every Node process it
// starts, then one summary table; exits with the command's own status.
import { resolve } from 'node:path';
import { describeStatus, shellStatus } from './launch.js';
import { runSession } from './session.js';
import { chalkFor } from './style.js';
import { summaryTable } from './site-table.js';
import { groupRequests, requestTable } from './request-table.js';
import { parseWithCommand } from './usage.js';

export const RUN_HELP = `Usage: asyncdebug run [options] -- <command...>

Runs the command with the agent in every Node process it starts (NODE_OPTIONS gets
--import of this package; yours is kept), shows findings live on stderr, and prints a summary
table (by kind and site: count, worst and total duration, which process and thread) at the end.
Exits with the command's own exit status (128 + N when signal N ended it, 127 when it could
not start). Ctrl-C and SIGTERM are passed on to the command; the summary still prints.

Options:
  --report-dir DIR   where the JSON Lines reports go (default: a new directory under the
                     system's temp directory; its path is printed at the end)
  --root DIR         project root that sites are shown relative to (default: cwd)
  -q, --quiet        no live findings from the agent (the summary still prints)
  -h, --help         this help

Examples:
  asyncdebug run -- node server.js
  asyncdebug run -- npm test
  asyncdebug run --report-dir reports -- npx vitest run
`;

export async function runCommandLine(args: string[]): Promise<number> {
  const { values, command } = parseWithCommand('run', args, {
    'report-dir': { type: 'string' },
    root: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  const c = chalkFor(2);
  const err = (t: string) => process.stderr.write(t);
  const root = resolve(String(values.root ?? '.'));
  const session = await runSession({
    name: 'run',
    command,
    reportDir: values['report-dir'] as string | undefined,
    root,
    reporters: values.quiet ? ['json'] : ['console', 'json'],
    progress: false,
    c,
    err,
  });
  err(summaryTable(session.sites, session.facts, c));
  err(requestTable(groupRequests(session.reports.findings), c));
  // What `ci` fails on (completeness.ts): said here as a warning; the exit status stays the command's.
  for (const reason of session.incomplete) err(`${c.yellow(`asyncdebug run: warning: ${reason}`)}\n`);
  const status = shellStatus(session.result);
  err(`${c.dim(`  ${describeStatus(session.result)}; reports in ${session.reportDir} (asyncdebug report ${session.reportDir})`)}\n`);
  return status;
}
