// How findings put things in words: durations, places, thread names. Used by the detectors to write
// their messages and by every reporter; pure and dependency-free (it loads in the app's threads).
import { relative } from 'node:path';
import type { BlockCallback, BlockRequest, Frame } from './finding.js';

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

/** The kind of callback in words, with its `api` where that names it better. */
const CALLBACK_WORDS: Record<BlockCallback['type'], (api?: string) => string> = {
  timer: () => 'a setTimeout callback',
  interval: () => 'a setInterval callback',
  immediate: () => 'a setImmediate callback',
  'http-request': (api) => (api ? `the HTTP request handler for ${api}` : 'an HTTP request handler'),
  promise: () => 'a promise continuation (after an await or in a then)',
  'next-tick': () => 'a process.nextTick callback',
  'async-resource': (api) => (api ? `a callback run through the AsyncResource ${api}` : 'a callback run through an AsyncResource'),
  io: (api) => (api ? `an I/O callback (${api})` : 'an I/O callback'),
};

/** "It ran in a setTimeout callback scheduled at app.js:12:3." (debug mode); `at`: the app's frame of `scheduledAt`. */
export function callbackText(c: BlockCallback, at: Frame | null, cwd: string): string {
  return `It ran in ${CALLBACK_WORDS[c.type](c.api)}${at ? ` scheduled at ${where(at, cwd)}` : ''}.`;
}

/**
 * A dependency's file as words show it: from its package on (`vitest/dist/chunks/x.js`), not the package
 * manager's store path (pnpm's `node_modules/.pnpm/vitest@4.1.11_<peers hash>/node_modules/…` is ~250
 * characters). Display only: keys, reports, SARIF and JUnit keep the whole path.
 */
export function fromPackage(file: string): string {
  const at = file.lastIndexOf('node_modules/');
  return at < 0 ? file : file.slice(at + 'node_modules/'.length);
}

/**
 * The request(s) a block served, in words: `GET /users/:id`; `2 requests to GET /users/:id` (its
 * parts all one route's); `GET /a and 2 other requests`.
 */
export function requestWords(request: BlockRequest, parts?: readonly BlockRequest[]): string {
  const name = (r: BlockRequest) => `${r.method} ${r.route}`;
  if (!parts || parts.length < 2) return name(request);
  if (parts.every((p) => name(p) === name(request))) return `${parts.length} requests to ${name(request)}`;
  return `${name(request)} and ${parts.length - 1} other request${parts.length > 2 ? 's' : ''}`;
}
