// One position looked up in a source map, shared by the agent (source-maps.ts) and the vitest setup file.
import type { SourceMap } from 'node:module';

export interface MapEntry {
  originalSource?: string;
  originalLine?: number;
  originalColumn?: number;
}

/**
 * A map's entry for a generated position (0-based), from that generated line's own mappings only. Node's
 * `findEntry` answers with the nearest mapping before the position, also one on an earlier line: a line
 * with no mapping of its own (code a transformer added) was named as a line far above it, often the
 * source's first. No entry: null.
 */
export function entryAt(map: SourceMap, line: number, column: number): MapEntry | null {
  const entry = map.findEntry(line, column) as MapEntry & { generatedLine?: number };
  if (!entry || entry.generatedLine !== line) return null;
  return entry;
}
