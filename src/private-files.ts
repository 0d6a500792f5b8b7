// Files and directories the agent and the CLI make, made so that no other local user can redirect them:
// a new file is opened with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file, never through a symlink),
// and anything made outside a directory the user chose goes into this user's own temp directory
// (`<tmpdir>/asyncdebug-<uid>`), which is checked before use: a real directory, owned by this user, mode
// 700. Dependency-free, with fs as it was before the sync-I/O detector wrapped it (see original.ts).
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { lstatSync, mkdirSync, mkdtempSync, openSync, statSync } from './original.js';
import { builtin } from './lazy-builtin.js';

/** Open flags of a file that must be new: never an existing file, never through a symlink. */
export const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function uid(): number | null {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}

/** This user's temp directory: `<tmpdir>/asyncdebug-<uid>` (also the default home of the TUI's sockets). */
export function userTempDir(): string {
  // node:os loads only here: every thread of the app loads this file, few need its temp directory.
  return join(builtin<typeof import('node:os')>('os').tmpdir(), `asyncdebug-${uid() ?? 0}`);
}

/**
 * Creates the directory and its missing parents (new ones with `mode`). Not `mkdirSync(dir, { recursive:
 * true })`: on Node 20 that never returns for a path under /proc (it retries ENOENT forever), which would
 * hang the app.
 */
export function ensureDir(dir: string, mode = 0o700): void {
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
      mkdirSync(d, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Why `dir` is not private, or null when it is: a real directory (not a symlink), owned by this user,
 * not open to group or others.
 */
export function notPrivate(dir: string): string | null {
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) return `${dir} is not a directory`;
    const me = uid();
    if (me !== null && st.uid !== me) return `${dir} belongs to another user (uid ${st.uid})`;
    if ((st.mode & 0o077) !== 0) return `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}; it needs 700)`;
    return null;
  } catch (err) {
    return `cannot use ${dir}: ${(err as Error).message}`;
  }
}

/**
 * Creates the directory (0700; with its missing parents unless `parents` is false) when missing and
 * checks it is private. Returns why not, or null when it is fine to use.
 */
export function ensurePrivateDir(dir: string, parents = true): string | null {
  try {
    if (parents) ensureDir(dir, 0o700);
    else mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return `cannot use ${dir}: ${(err as Error).message}`;
  }
  return notPrivate(dir);
}

/** This user's temp directory, made if missing (in the system's temp directory, which must exist) and checked. */
export function ensureUserTempDir(): string | null {
  return ensurePrivateDir(userTempDir(), false);
}

/**
 * A new directory of its own (mkdtemp: a fresh random name, mode 700) inside this user's checked temp
 * directory. Throws an Error saying why when that directory is not private.
 */
export function makePrivateTempDir(prefix: string): string {
  const base = userTempDir();
  const problem = ensureUserTempDir();
  if (problem) throw new Error(problem);
  return mkdtempSync(join(base, prefix));
}

/** Creates a new file (O_EXCL, O_NOFOLLOW) with `mode`; its descriptor. Throws EEXIST when the name is taken. */
export function createNewFile(path: string, mode = 0o600): number {
  return openSync(path, NEW_FILE, mode);
}
