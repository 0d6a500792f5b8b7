// In-memory source maps (tsx, ts-node/esm, @swc-node/register transpile without writing a map to disk)
// exist only in the thread that loaded the code. The watchdog asks that thread for a file's map through
// its slot's mailbox; the thread writes the map (without sourcesContent) to a private directory of the
// process, which the watchdog reads. Once per file; the directory is removed at exit.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from '../original.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string | null = null;

/** The process's export directory (the same in every thread of the process). */
export function exportDir(): string {
  dir ??= join(tmpdir(), `asyncdebug-maps-${process.pid}`);
  return dir;
}

/** FNV-1a over the path: a file name for it (node:crypto would cost the app thread a module load). */
function nameOf(file: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193);
  return `${(h >>> 0).toString(16)}-${file.length}`;
}

function entryPath(file: string): string {
  return join(exportDir(), `${nameOf(file)}.json`);
}

/** Thread side: writes the map payload, or null when the thread has none for the file. */
let exported = false;

export function writeExportedMap(file: string, payload: object | null): void {
  mkdirSync(exportDir(), { recursive: true, mode: 0o700 });
  exported = true;
  const lean = payload ? { ...payload, sourcesContent: undefined } : null;
  writeFileSync(entryPath(file), JSON.stringify({ file, payload: lean }), { mode: 0o600 });
}

/** Watchdog side: the payload, null for "the thread has no map", undefined when not answered yet. */
export function readExportedMap(file: string): object | null | undefined {
  try {
    const entry = JSON.parse(readFileSync(entryPath(file), 'utf8')) as { file: string; payload: object | null };
    return entry.file === file ? entry.payload : undefined;
  } catch {
    return undefined;
  }
}

/** At exit, in the main thread: removes the directory if any thread of the process made it. */
export function removeExportedMaps(): void {
  if (!exported && !existsSync(exportDir())) return;
  try {
    rmSync(exportDir(), { recursive: true, force: true });
  } catch {
    // nothing to remove
  }
}
