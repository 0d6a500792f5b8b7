// Maps generated positions to original ones through the source maps that files on disk point to
// (`//# sourceMappingURL=` as a data: URL or a file). Runs in the watchdog, which has none of the
// app thread's in-memory source-map cache, so it reads from disk; a file is read once.
import { readFileSync } from '../original.js';
import { SourceMap } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../finding.js';

const MAP_URL = /\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/;
const maps = new Map<string, { map: SourceMap; base: string } | null>();

function loadMap(file: string): { map: SourceMap; base: string } | null {
  if (maps.has(file)) return maps.get(file) ?? null;
  let found: { map: SourceMap; base: string } | null = null;
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
      const json = JSON.parse(payload) as { sourceRoot?: string };
      if (json.sourceRoot) base = json.sourceRoot.startsWith('file:') ? fileURLToPath(json.sourceRoot) : resolve(base, json.sourceRoot);
      found = { map: new SourceMap(json as ConstructorParameters<typeof SourceMap>[0]), base };
    }
  } catch {
    found = null; // unreadable file or map: keep generated positions
  }
  maps.set(file, found);
  return found;
}

function resolveSource(source: string, base: string): string {
  if (source.startsWith('file:')) return fileURLToPath(source);
  if (isAbsolute(source)) return source;
  return resolve(base, source);
}

export function mapFrame(frame: Frame): Frame {
  if (!isAbsolute(frame.file)) return frame;
  const loaded = loadMap(frame.file);
  if (!loaded) return frame;
  const entry = loaded.map.findEntry(frame.line - 1, frame.column - 1) as {
    originalSource?: string;
    originalLine?: number;
    originalColumn?: number;
    name?: string;
  };
  if (!entry || entry.originalSource === undefined || entry.originalLine === undefined) return frame;
  return {
    file: resolveSource(entry.originalSource, loaded.base),
    line: entry.originalLine + 1,
    column: (entry.originalColumn ?? 0) + 1,
    function: frame.function,
  };
}
