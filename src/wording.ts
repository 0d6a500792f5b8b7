// How findings put things in words: durations, places, thread names. Used by the detectors to write
// their messages and by every reporter; pure and dependency-free (it loads in the app's threads).
import { relative } from 'node:path';
import type { BlockCallback, Frame } from './finding.js';

export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 2)} s`;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** `main thread`, `worker thread 3`, or with the name the app gave the Worker: `worker thread 3 "resizer"`. */
export function threadName(threadId: number, name?: unknown): string {
  const base = threadId === 0 ? 'main thread' : `worker thread ${threadId}`;
  return typeof name === 'string' && name ? `${base} ${JSON.stringify(name)}` : base;
}

/** file:line:column, relative to cwd when the file is below it. */
export function where(frame: Frame | null, cwd: string): string {
  if (!frame) return 'an unknown place (no application frame on the stack)';
  const rel = relative(cwd, frame.file);
  const file = rel && !rel.startsWith('..') && !frame.file.startsWith('[') ? rel : frame.file;
  return `${file}:${frame.line}:${frame.column}`;
}

const CALLBACK_WORDS: Record<BlockCallback['type'], string> = {
  timer: 'a setTimeout callback',
  interval: 'a setInterval callback',
  immediate: 'a setImmediate callback',
  'http-request': 'an HTTP request handler',
  promise: 'a promise continuation (after an await or in a then)',
  'next-tick': 'a process.nextTick callback',
  'async-resource': 'a callback run through an AsyncResource',
  io: 'an I/O callback',
};

/** "It ran in a setTimeout callback scheduled at app.js:12:3." (debug mode) */
export function callbackText(c: BlockCallback, cwd: string): string {
  const what = c.type === 'http-request' && c.api ? `the HTTP request handler for ${c.api}` : c.type === 'io' && c.api ? `an I/O callback (${c.api})` : c.type === 'async-resource' && c.api ? `a callback run through the AsyncResource ${c.api}` : CALLBACK_WORDS[c.type];
  const at = c.scheduledAt.find((f) => !f.file.startsWith('node:') && !f.file.includes('/node_modules/')) ?? c.scheduledAt[0] ?? null;
  return `It ran in ${what}${at ? ` scheduled at ${where(at, cwd)}` : ''}.`;
}
