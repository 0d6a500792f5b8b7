// Turning raw stack frames into contract frames, and choosing the one frame that is the app's.
import { isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../finding.js';
import { isAgentFile } from './agent-files.js';
import { mapFrame } from './source-maps.js';

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

/** Contract frames from raw ones; `inThread` when they are this thread's own stack (its maps apply). */
export function toFrames(raw: RawFrame[], inThread = false): Frame[] {
  return raw.map((r) =>
    mapFrame(
      {
        file: toPath(r.file),
        line: r.line,
        column: r.column,
        function: r.function && r.function !== '?' ? r.function : '<anonymous>',
      },
      inThread,
    ),
  );
}

/** The agent's own code (agent-files.ts), whose frames are never the app's. */
export function isAgentFrame(frame: Frame): boolean {
  return isAgentFile(frame.file);
}

export function isAppFrame(frame: Frame): boolean {
  const f = frame.file;
  if (f === '[worker eval]') return true; // the app's own code, given as a string
  if (!f || f.startsWith('node:') || !isAbsolute(f)) return false;
  if (f.includes(`${sep}node_modules${sep}`)) return false;
  return !isAgentFile(f);
}

export function siteOf(frames: Frame[]): Frame | null {
  return frames.find(isAppFrame) ?? null;
}

function isLoaderFile(file: string): boolean {
  return (
    file.startsWith('node:internal/modules/') ||
    file.startsWith('node:internal/main/') ||
    file.startsWith('node:internal/process/execution')
  );
}

/** Frames the stack reader returns at most (@sentry-internal/node-native-stacktrace's kMaxStackFrames). */
export const STACK_READ_LIMIT = 50;

/**
 * A block whose outermost frames are Node's module loader is the app's start-up (top-level code of
 * the modules being loaded), not a finding. A stack cut at the reader's limit has lost its outermost
 * frames: then loader frames anywhere in it count, while the thread is still starting (`starting`).
 */
export function isModuleLoading(frames: Frame[], starting = false): boolean {
  const outer = frames[frames.length - 1];
  if (!outer) return false;
  if (isLoaderFile(outer.file)) return true;
  return starting && frames.length >= STACK_READ_LIMIT && frames.some((f) => isLoaderFile(f.file));
}

/**
 * A `require()` or import running inside the app's code after start-up, or Node loading one of its own
 * modules on first use (undici at the first `fetch()`): a lazy load, a one-time warm-up cost.
 */
export function isLazyLoading(frames: Frame[]): boolean {
  return frames.some((f) => f.file.startsWith('node:internal/modules/') || f.file === 'node:internal/bootstrap/realm');
}

const SYNC_MODULES: [RegExp, string][] = [
  [/^node:(internal\/)?fs/, 'fs'],
  [/^node:(internal\/)?crypto/, 'crypto'],
  [/^node:(internal\/)?child_process/, 'child_process'],
  [/^node:(internal\/)?zlib/, 'zlib'],
];

/**
 * The sync API in flight when the stack was read: the agent's sync-I/O wrapper is on the stack (it
 * carries the API's name), and the frame inside it says which module. `Atomics.wait` is a builtin
 * with no frame of its own.
 */
export function syncApiOf(frames: Frame[]): { api: string; index: number } | null {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as Frame;
    if (!isAgentFrame(f)) continue;
    if (f.function === 'wait') return { api: 'Atomics.wait', index: i };
    // The wrapper calls the API through the detector's own callback (detectors/wrap-sync.ts): skip agent frames.
    let j = i - 1;
    while (j >= 0 && isAgentFrame(frames[j] as Frame)) j--;
    const inner = frames[j];
    const mod = inner && SYNC_MODULES.find(([re]) => re.test(inner.file));
    if (mod && /Sync$|^randomBytes$/.test(f.function)) return { api: `${mod[1]}.${f.function}`, index: i };
  }
  return null;
}

/** Name of the block detector's heartbeat callback: a stack read inside it belongs to the next turn. */
export const HEARTBEAT_FUNCTION = 'asyncdebugHeartbeat';

export function isHeartbeat(frames: Frame[]): boolean {
  return frames.some((f) => f.function === HEARTBEAT_FUNCTION);
}
