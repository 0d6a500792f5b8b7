// Runs the user's command with inherited stdio (its output stays its own) and forwards the signals
// asyncdebug gets (a CI runner's SIGTERM, a kill -INT), so the command decides how to stop and the
// summary is still printed afterwards.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';

export interface CommandResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (not found, not executable). */
  startError: string | null;
  /** The command's own process (the one started), when it started. */
  pid?: number;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function runCommand(command: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve) => {
    const [file, ...args] = command as [string, ...string[]];
    const child = spawn(file, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => {
      // Ctrl-C in a terminal reaches the whole foreground process group, the command included:
      // passing it on again would be a second Ctrl-C (many tools force-quit on that).
      if (signal === 'SIGINT' && isatty(0)) return;
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = (result: CommandResult) => {
      for (const s of FORWARDED) process.removeListener(s, forward);
      resolve(result);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : err.message;
      done({ code: null, signal: null, startError: `cannot run ${JSON.stringify(file)}: ${why}` });
    });
    child.once('exit', (code, signal) => done({ code, signal, startError: null, pid: child.pid }));
  });
}

/** The exit status a shell would show for the command: its code, 128 + the signal's number, 127 when it did not start. */
export function shellStatus(result: CommandResult): number {
  if (result.startError) return 127;
  if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
  return result.code ?? 1;
}

export function describeStatus(result: CommandResult): string {
  if (result.startError) return result.startError;
  if (result.signal) return `the command was ended by ${result.signal}`;
  return `the command exited with code ${result.code}`;
}
