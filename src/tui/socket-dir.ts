// Where tui sockets live: a private per-user directory (mode 0700, owned by the user), one socket per
// process named `<pid>.sock` (mode 0600). `asyncdebug tui -- cmd` gives its command a subdirectory
// `run-<pid>-<random>` of it, so that it sees exactly its command's processes; `--attach` looks in both.
// Dependency-free: the agent side loads it into the watchdog worker.
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { rmSync as originalRmSync } from '../original.js';
import { ensurePrivateDir, userTempDir } from '../private-files.js';

export const TUI_DIR_ENV = 'ASYNC_DEBUG_TUI_DIR';

/** The directory agents put their sockets in: ASYNC_DEBUG_TUI_DIR, else this user's temp directory. */
export function socketDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env[TUI_DIR_ENV]?.trim();
  return chosen ? chosen : userTempDir();
}

// The one check of a private directory, shared with every other file the agent and the CLI make.
export { ensurePrivateDir };

export function socketPath(dir: string, pid = process.pid): string {
  return join(dir, `${pid}.sock`);
}

/**
 * This process's socket, removed at the main thread's exit (the watchdog, where the server runs, gets
 * no 'exit' event when the process ends). Uses fs as it was before the sync-I/O detector wrapped it.
 */
export function removeOwnSocket(env: NodeJS.ProcessEnv = process.env): void {
  try {
    originalRmSync(socketPath(socketDir(env)), { force: true });
  } catch {
    // never into the app's exit
  }
}

/** True when a process with this pid exists (also when it is another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface AgentSocket {
  pid: number;
  path: string;
}

/** The sockets of one directory whose process still runs; the sockets of dead processes are removed. */
function socketsIn(dir: string): AgentSocket[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: AgentSocket[] = [];
  for (const name of names) {
    const m = /^(\d+)\.sock$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    const path = join(dir, name);
    if (isAlive(pid)) found.push({ pid, path });
    else {
      // The process ended without removing its socket (killed, or its watchdog never got to 'exit').
      try {
        unlinkSync(path);
      } catch {
        // someone else cleaned it
      }
    }
  }
  return found;
}

/**
 * Every live agent socket under `dir`: its own and those of `run-*` subdirectories. Stale sockets
 * (their process gone) are removed, and so are `run-<pid>-*` directories left empty by a dead CLI.
 */
export function listAgentSockets(dir: string): AgentSocket[] {
  const found = socketsIn(dir);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    const m = /^run-(\d+)-/.exec(name);
    if (!m) continue;
    const sub = join(dir, name);
    try {
      if (!lstatSync(sub).isDirectory()) continue;
    } catch {
      continue;
    }
    const inner = socketsIn(sub);
    found.push(...inner);
    if (inner.length === 0 && !isAlive(Number(m[1]))) {
      try {
        rmdirSync(sub);
      } catch {
        // not empty (another file) or gone
      }
    }
  }
  return found.sort((a, b) => a.pid - b.pid);
}
