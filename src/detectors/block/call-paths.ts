// The ways into one site of a block: a helper (`spin(ms)`) called from a short phase and a long one is
// one site, and the user needs the heavy caller. Each read credited to the site keeps the path it came
// by (the application frames outward from the site); the split is at the first frame, outward, where
// the paths differ, with each caller's weight there.
import type { RawFrame } from '../../frames/frames.js';

/** Application frames kept per path, outward from the site. */
export const MAX_PATH_DEPTH = 16;
/** Paths kept per site (a site reached by more ways adds their weight to none). */
export const MAX_PATHS = 16;

export interface PathWeight {
  /** One key per application frame outward from the site (file:line of the raw frame). */
  keys: string[];
  /** The raw frames of those keys, the latest read's (mapped when written). */
  raw: RawFrame[];
  /** The latest read's whole stack, and how many frames of it are inside the agent's sync-API wrapper. */
  stack: RawFrame[];
  skip: number;
  ms: number;
  samples: number;
}

/** One way into a site at the split: the caller (null: called from outside the app's code) and its weight. */
export interface PathGroup {
  caller: RawFrame | null;
  ms: number;
  samples: number;
  /** Its heaviest path (whose latest stack stands for the group). */
  heaviest: PathWeight;
}

/** Adds a read's weight (its whole `stack`, the application frames outward from the site: `callers`) to its path. */
export function addPath(paths: Map<string, PathWeight>, callers: RawFrame[], stack: RawFrame[], skip: number, ms: number, read: boolean): void {
  const raw = callers.slice(0, MAX_PATH_DEPTH);
  const keys = raw.map((f) => `${f.file}:${f.line}`);
  const key = keys.join('\n');
  let p = paths.get(key);
  if (!p) {
    if (paths.size >= MAX_PATHS) return;
    p = { keys, raw, stack, skip, ms: 0, samples: 0 };
    paths.set(key, p);
  }
  p.ms += ms;
  if (read) p.samples++;
  p.raw = raw;
  p.stack = stack;
  p.skip = skip;
}

/**
 * The callers at the first depth where the paths differ, heaviest first; null when every read came
 * the same way (or only one way had weight).
 */
export function splitPaths(paths: Iterable<PathWeight>): PathGroup[] | null {
  const list = [...paths].filter((p) => p.ms > 0);
  if (list.length < 2) return null;
  for (let depth = 0; depth < MAX_PATH_DEPTH; depth++) {
    const groups = new Map<string, PathGroup>();
    for (const p of list) {
      const key = p.keys[depth] ?? '';
      let g = groups.get(key);
      if (!g) {
        g = { caller: p.raw[depth] ?? null, ms: 0, samples: 0, heaviest: p };
        groups.set(key, g);
      }
      g.ms += p.ms;
      g.samples += p.samples;
      if (p.ms > g.heaviest.ms) g.heaviest = p;
    }
    if (groups.size > 1) return [...groups.values()].sort((a, b) => b.ms - a.ms);
    if (groups.has('')) return null;
  }
  return null;
}
