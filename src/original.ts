// What the agent uses of the app's globals, as they were before any app code ran: this module loads
// with the agent, before the app's modules. The app may replace them afterwards (a test pins `Date.now`,
// fake timers replace `setTimeout` and `performance.now`, a fixture gives `process` another `pid`);
// the agent's clock, pid, timers and own I/O must not change with them.
// - fs: the functions as they were before the sync-I/O detector wrapped them (an ESM named import of
//   node:fs is a live binding and would see the wrapper).
import { builtin } from './lazy-builtin.js';

// The CJS module object itself (a default import, in the CommonJS bundles, copied every property of
// node:fs into a new object at load: ~1 M instructions per thread).
const fs = builtin<typeof import('node:fs')>('fs');

export const writeSync = fs.writeSync;
export const openSync = fs.openSync;
export const closeSync = fs.closeSync;
export const readSync = fs.readSync;
export const readlinkSync = fs.readlinkSync;
export const mkdirSync = fs.mkdirSync;
export const statSync = fs.statSync;
export const readFileSync = fs.readFileSync;
export const writeFileSync = fs.writeFileSync;
export const rmSync = fs.rmSync;
export const existsSync = fs.existsSync;
export const lstatSync = fs.lstatSync;
export const fstatSync = fs.fstatSync;
export const renameSync = fs.renameSync;
export const unlinkSync = fs.unlinkSync;
export const mkdtempSync = fs.mkdtempSync;
export const readdirSync = fs.readdirSync;
export const atomicsWait = Atomics.wait;

const dateNow = Date.now;
// process.hrtime, not performance.now: the global `performance` costs ~2 ms to make on first use.
const hrtime = process.hrtime;

/** Wall-clock epoch ms (Date.now as it was). */
export function now(): number {
  return dateNow();
}

/** Monotonic ms (from an arbitrary origin: for differences only), from process.hrtime as it was. */
export function monotonicNow(): number {
  const [s, ns] = hrtime();
  return s * 1e3 + ns / 1e6;
}

/** This process's id, as it was when the agent loaded. */
export const pid: number = process.pid;

export const realSetTimeout = globalThis.setTimeout;
export const realClearTimeout = globalThis.clearTimeout;
export const realSetInterval = globalThis.setInterval;
export const realClearInterval = globalThis.clearInterval;
export const realSetImmediate = globalThis.setImmediate;
