// Turning raw stack frames into contract frames, and choosing the one frame that is the app's.
import { dirname, isAbsolute, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../finding.js';
import { mapFrame } from './source-maps.js';

/** The agent's own code (dist/, and src/ where its source maps point), whose frames are never the app's. */
const PACKAGE_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const AGENT_DIRS = [join(PACKAGE_ROOT, 'dist') + sep, join(PACKAGE_ROOT, 'src') + sep];

export interface RawFrame {
  function: string;
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

function toPath(file: string): string {
  if (file.startsWith('file:')) {
    try {
      return fileURLToPath(file);
    } catch {
      return file;
    }
  }
  return file;
}

export function toFrames(raw: RawFrame[]): Frame[] {
  return raw.map((r) =>
    mapFrame({
      file: toPath(r.file),
      line: r.line,
      column: r.column,
      function: r.function && r.function !== '?' ? r.function : '<anonymous>',
    }),
  );
}

export function isAppFrame(frame: Frame): boolean {
  const f = frame.file;
  if (f === '[worker eval]') return true; // the app's own code, given as a string
  if (!f || f.startsWith('node:') || !isAbsolute(f)) return false;
  if (f.includes(`${sep}node_modules${sep}`)) return false;
  return !AGENT_DIRS.some((d) => f.startsWith(d));
}

export function siteOf(frames: Frame[]): Frame | null {
  return frames.find(isAppFrame) ?? null;
}

/**
 * A block whose outermost frames are Node's module loader is the app's start-up (top-level code of
 * the modules being loaded), not a finding.
 */
export function isModuleLoading(frames: Frame[]): boolean {
  const outer = frames[frames.length - 1];
  if (!outer) return false;
  return (
    outer.file.startsWith('node:internal/modules/') ||
    outer.file.startsWith('node:internal/main/') ||
    outer.file.startsWith('node:internal/process/execution')
  );
}
