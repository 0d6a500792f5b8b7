// Maps generated positions to original ones. Three places a map can come from, tried in order:
// - the thread's own source-map cache (`module.findSourceMap`), or the module cache of a test runner
//   that evaluates code itself (runner-maps.ts: vitest), when the frames are made in the thread that
//   loaded the code: this is the only place maps of code transpiled in memory (tsx, ts-node/esm,
//   @swc-node/register, vitest) exist;
// - maps a thread exported for the watchdog on request (exported-maps.ts), for the same in-memory maps;
// - the `//# sourceMappingURL=` comment of the file on disk (inline data: URL or a file), e.g. tsc output.
import { readFileSync } from '../original.js';
import { SourceMap, findSourceMap } from 'node:module';
import { isAgentFile } from './agent-files.js';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Frame } from '../finding.js';
import { readExportedMap } from './exported-maps.js';
import { entryAt } from './map-entry.js';
import { isUnderRunner, runnerMapPayload } from './runner-maps.js';

const MAP_URL = /\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/;

interface LoadedMap {
  map: SourceMap;
  base: string;
}

const diskMaps = new Map<string, LoadedMap | null>();
const exportedMaps = new Map<string, LoadedMap | null>();

type MapPayload = ConstructorParameters<typeof SourceMap>[0] & { sourceRoot?: string };

function withBase(payload: MapPayload, base: string): LoadedMap {
  if (payload.sourceRoot) base = payload.sourceRoot.startsWith('file:') ? fileURLToPath(payload.sourceRoot) : resolve(base, payload.sourceRoot);
  return { map: new SourceMap(payload), base };
}

function loadDiskMap(file: string): LoadedMap | null {
  if (diskMaps.has(file)) return diskMaps.get(file) ?? null;
  let found: LoadedMap | null = null;
  try {
    const source = readFileSync(file, 'utf8');
    // The comment is at the end; only look at the tail so big bundles stay cheap.
    const tail = source.slice(-4096).trimEnd().split('\n');
    const match = MAP_URL.exec(tail[tail.length - 1] ?? '');
    if (match?.[1]) {
      const url = match[1];
      let payload: string;
      let base = dirname(file);
      if (url.startsWith('data:')) {
        const comma = url.indexOf(',');
        const meta = url.slice(0, comma);
        const data = url.slice(comma + 1);
        payload = meta.endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
      } else {
        const mapFile = url.startsWith('file:') ? fileURLToPath(url) : resolve(dirname(file), url);
        payload = readFileSync(mapFile, 'utf8');
        base = dirname(mapFile);
      }
      found = withBase(JSON.parse(payload) as MapPayload, base);
    }
  } catch {
    found = null; // unreadable file or map: keep generated positions
  }
  diskMaps.set(file, found);
  return found;
}

const ownMaps = new Map<string, SourceMap | null>();

/** Node's own cache has maps only while source maps are enabled (tsx & co. enable them). */
function nodeCachedMap(file: string): SourceMap | null {
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === false) return null;
  return findSourceMap(file) ?? findSourceMap(pathToFileURL(file).href) ?? null;
}

/**
 * The in-memory map of this thread's own source-map cache, or of the test runner that evaluated the
 * file, if any. A lookup can walk a whole cache, so once per file.
 */
export function ownThreadMap(file: string): SourceMap | undefined {
  let map = ownMaps.get(file);
  if (map === undefined) {
    try {
      map = nodeCachedMap(file);
      const runner = map ? null : runnerMapPayload(file);
      if (runner) map = new SourceMap(runner as MapPayload);
    } catch {
      map = null;
    }
    // A file on a stack is loaded already, so its map, if it has one, is in Node's cache by now.
    if (ownMaps.size < 10_000) ownMaps.set(file, map);
  }
  return map ?? undefined;
}

/** Whether the watchdog has an answer (a map, or "none") from the thread for this file. */
export function hasExportedAnswer(file: string): boolean {
  if (exportedMaps.has(file)) return true;
  const payload = readExportedMap(file);
  if (payload === undefined) return false;
  exportedMaps.set(file, payload ? withBase(payload as MapPayload, dirname(file)) : null);
  return true;
}

/**
 * Whether a file's frames may be in code transpiled in memory: it has an extension other than plain
 * JavaScript's (.ts, .tsx, .jsx, .vue …), or it is JavaScript run by a test runner that transforms every
 * module (vitest: `underRunner`). Plain JavaScript, with an extension or without (a `bin/www`), runs as
 * it is written.
 */
function mayBeTranspiled(file: string, underRunner: boolean): boolean {
  const ext = extname(file);
  if (ext === '') return false;
  return underRunner || !/^\.[cm]?js$/.test(ext);
}

/** Whether frames of this file may need a map that only the thread that loaded it has. */
export function mayNeedThreadMap(file: string, underRunner = false): boolean {
  return isAbsolute(file) && mayBeTranspiled(file, underRunner) && loadDiskMap(file) === null && !hasExportedAnswer(file);
}

/** Of a stack's application frames (`isApp`), the first file that may need the thread's map, if any. */
export function fileNeedingThreadMap(frames: readonly Frame[], isApp: (f: Frame) => boolean): string | undefined {
  const runner = isUnderRunner(frames);
  return frames.find((f) => isApp(f) && mayNeedThreadMap(f.file, runner))?.file;
}

function lookup(loaded: LoadedMap | { map: SourceMap; base: string }, frame: Frame): Frame | null {
  const entry = entryAt(loaded.map, frame.line - 1, frame.column - 1);
  if (!entry || entry.originalSource === undefined || entry.originalLine === undefined) return null;
  return {
    file: resolveSource(entry.originalSource, loaded.base),
    line: entry.originalLine + 1,
    column: (entry.originalColumn ?? 0) + 1,
    function: frame.function,
  };
}

/** A frame of code transpiled in memory that its map has no mapping for: its line is the transformed code's. */
function unmapped(frame: Frame): Frame {
  return { ...frame, generated: true };
}

function resolveSource(source: string, base: string): string {
  if (source.startsWith('file:')) return fileURLToPath(source);
  if (isAbsolute(source)) return source;
  return resolve(base, source);
}

/** Maps a frame; `inThread` when the frame comes from this thread's own stack. */
export function mapFrame(frame: Frame, inThread = false): Frame {
  // The agent's own frames (a wrapper on a blocked stack) are never shown and stay the agent's either way:
  // their map is the bundle's, ~0.5 MB of JSON to parse (tens of ms of the watchdog's CPU at a block).
  if (!isAbsolute(frame.file) || isAgentFile(frame.file)) return frame;
  if (inThread) {
    const own = ownThreadMap(frame.file);
    if (own) return lookup({ map: own, base: dirname(frame.file) }, frame) ?? unmapped(frame);
  }
  const disk = loadDiskMap(frame.file);
  if (disk) return lookup(disk, frame) ?? frame;
  // Exported maps are this thread's own maps, written for the watchdog: in the thread they add nothing,
  // and looking for one (a failed read) cost every sampled sync call ~70 us.
  if (!inThread && hasExportedAnswer(frame.file)) {
    const exported = exportedMaps.get(frame.file);
    if (exported) return lookup(exported, frame) ?? unmapped(frame);
  }
  return frame;
}
