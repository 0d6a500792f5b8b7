// Where tui sockets live: a private per-user directory (mode 0700, owned by the user), one socket per
// process named `<pid>.sock` (mode 0600). `asyncdebug tui -- cmd` gives its command a subdirectory
// `run-<pid>-<random>` of it, so that it sees exactly its command's processes; `--attach` looks in both.
// Dependency-free: the agent side loads it into the watchdog worker.
import { lstatSync, mkdirSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync as originalRmSync } from '../original.js';

export const TUI_DIR_ENV = 'ASYNC_DEBUG_TUI_DIR';

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/** The directory agents put their sockets in: ASYNC_DEBUG_TUI_DIR, else `<tmpdir>/asyncdebug-<uid>`. */
export function socketDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env[TUI_DIR_ENV]?.trim();
  return chosen ? chosen : join(tmpdir(), `asyncdebug-${uid()}`);
}

/**
 * Creates the directory (0700) when missing and checks it is private: a real directory (not a
 * symlink), owned by this user, not open to group or others. Returns why not, or null when it is fine.
 */
export function ensurePrivateDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${dir} belongs to another user (uid ${st.uid})`;
    if ((st.mode & 0o077) !== 0) return `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}; it needs 700)`;
    return null;
  } catch (err) {
    return `cannot use ${dir}: ${(err as Error).message}`;
  }
}

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
