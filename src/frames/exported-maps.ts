// In-memory source maps (tsx, ts-node/esm, @swc-node/register transpile without writing a map to disk)
// exist only in the thread that loaded the code. The watchdog asks that thread for a file's map through
// its slot's mailbox; the thread writes the map (without sourcesContent) to the process's maps directory,
// which the watchdog reads. Once per file; the directory is removed at exit.
//
// No other user can redirect or forge these files: the directory's name is chosen fresh by the process's
// first thread and handed to every other one (process-files.ts), it is made at first need inside this
// user's checked temp directory (private-files.ts) and checked again before use, and each map is written
// to a new file (O_EXCL, O_NOFOLLOW) that is then renamed into place.
import { closeSync, mkdirSync, openSync, pid, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from '../original.js';
import { constants } from 'node:fs';
import { basename, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { createNewFile, ensureUserTempDir, notPrivate, userTempDir } from '../private-files.js';
import { Flag, firstTime, processFiles } from '../process-files.js';
import { warnOnStderr } from '../config.js';

/** The process's export directory (the same in every thread of the process). */
export function exportDir(): string {
  return processFiles().mapsDir;
}

/** FNV-1a over the path: a file name for it (node:crypto would cost the app thread a module load). */
export function mapFileName(file: string): string {
  return `${nameOf(file)}.json`;
}

function nameOf(file: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193);
  return `${(h >>> 0).toString(16)}-${file.length}`;
}

function entryPath(file: string): string {
  return join(exportDir(), mapFileName(file));
}

/** This thread's verdict on the directory: null until first needed, then '' (usable) or why not. */
let problem: string | null = null;

/** Makes the directory (or finds the one another thread of the process made) and checks it is private. */
function readyDir(): string {
  if (problem !== null) return problem;
  const dir = exportDir();
  problem = ensureUserTempDir() ?? '';
  if (!problem) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') problem = `cannot make ${dir}: ${(err as Error).message}`;
    }
    problem ||= notPrivate(dir) ?? '';
    if (!problem) removeStale(userTempDir());
  }
  if (problem && firstTime(processFiles(), Flag.mapsFailed)) {
    warnOnStderr(`${problem}; positions in code transpiled in memory stay unmapped (set TMPDIR to a directory of your own)`);
  }
  return problem;
}

/** Maps directories of this user's processes that ended without removing theirs (killed, Ctrl-C). */
function removeStale(base: string): void {
  try {
    for (const name of readdirSync(base)) {
      const other = Number(/^maps-(\d+)-/.exec(name)?.[1]);
      if (!other || other === pid) continue;
      try {
        process.kill(other, 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(base, name), { recursive: true, force: true });
      }
    }
  } catch {
    // only tidying
  }
}

/** Thread side: writes the map payload, or null when the thread has none for the file. */
export function writeExportedMap(file: string, payload: object | null): void {
  if (readyDir()) return;
  const lean = payload ? { ...payload, sourcesContent: undefined } : null;
  const target = entryPath(file);
  // A new file of this thread's, then renamed into place: the watchdog never reads half a map.
  const draft = `${target}.${threadId}.tmp`;
  try {
    unlinkSync(draft);
  } catch {
    // none left from an earlier try
  }
  const fd = createNewFile(draft, 0o600);
  try {
    writeSync(fd, JSON.stringify({ file, payload: lean }));
  } finally {
    closeSync(fd);
  }
  renameSync(draft, target);
}

/** Whether the watchdog checked the directory (once it exists) and found it private. */
let verified = false;

/** Watchdog side: the payload, null for "the thread has no map", undefined when not answered yet. */
export function readExportedMap(file: string): object | null | undefined {
  try {
    if (!verified) {
      if (notPrivate(exportDir())) return undefined;
      verified = true;
    }
    const fd = openSync(entryPath(file), constants.O_RDONLY | constants.O_NOFOLLOW);
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    const entry = JSON.parse(text) as { file: string; payload: object | null };
    return entry.file === file ? entry.payload : undefined;
  } catch {
    return undefined;
  }
}

/** At exit, in the main thread: removes the directory if a thread of the process made it. */
export function removeExportedMaps(): void {
  const dir = exportDir();
  // Only this process's own directory, and only when it is what the agent made (not a symlink).
  if (!basename(dir).startsWith(`maps-${pid}-`) || notPrivate(dir)) return;
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // nothing to remove
  }
}
