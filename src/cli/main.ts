// The asyncdebug command: dispatches to one file per command. Usage errors: one line, exit 2.
import { EXIT_USAGE, UsageError } from './usage.js';
import { VERSION } from './version.js';
import { renderEnvHelp } from '../env-table.js';

export const HELP = `asyncdebug ${VERSION} — the event-loop debugger for Node.js

Usage:
  node --import asyncdebug app.js          watch an app (default mode: cheap, safe to leave on)
  ASYNC_DEBUG=1 node --import asyncdebug app.js   debug mode
  asyncdebug run [options] -- <command...>  run any command with the agent in all its Node
                                            processes; summary table; the command's exit code
  asyncdebug ci [options] -- <command...>   the same as a CI gate: budgets, baseline, SARIF,
                                            JUnit, GitHub annotations (exit 1 over budget,
                                            3 when the command failed)
  asyncdebug report [options] <dir|file...> the summary table from saved JSON Lines reports
                                            (--html: the run as one self-contained HTML page)
  asyncdebug tui [options] -- <command...>  a live terminal view of the command's event loops
  asyncdebug tui --attach [pid] | --list    the live view of apps already running with
                                            ASYNC_DEBUG_REPORTERS=tui
  asyncdebug <command> --help               help for a command
  asyncdebug --version | --help

Environment (all optional; a bad value prints one warning and the default is used):
${renderEnvHelp()}
Docs: README.md and docs/cli.md in the package.
`;

interface Command {
  run: (args: string[]) => Promise<number>;
  help: string;
}

// Each command loads only when it is asked for.
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => {
    const m = await import('./run.js');
    return { run: m.runCommandLine, help: m.RUN_HELP };
  },
  ci: async () => {
    const m = await import('./ci.js');
    return { run: m.ciCommandLine, help: m.CI_HELP };
  },
  report: async () => {
    const m = await import('./report.js');
    return { run: m.reportCommandLine, help: m.REPORT_HELP };
  },
  tui: async () => {
    const m = await import('./tui-command.js');
    return { run: m.tuiCommandLine, help: m.TUI_HELP };
  },
};

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === '--version' || first === '-v') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (first === undefined) {
      process.stderr.write("asyncdebug: no command given; expected run, ci, tui or report (see 'asyncdebug --help')\n");
      return EXIT_USAGE;
    }
    if (first === '--help' || first === '-h') {
      process.stdout.write(HELP);
      return 0;
    }
    if (first === 'help') {
      const load = rest[0] ? COMMANDS[rest[0]] : undefined;
      process.stdout.write(load ? (await load()).help : HELP);
      return 0;
    }
    const load = COMMANDS[first];
    if (load) return await (await load()).run(rest);
    process.stderr.write(`asyncdebug: unknown command or option '${first}'; expected run, ci, tui or report (see 'asyncdebug --help')\n`);
    return EXIT_USAGE;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`asyncdebug ${err.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`asyncdebug: ${(err as Error).message}\n`);
    return 1;
  }
}
