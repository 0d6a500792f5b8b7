// Configuration from the environment, as ../shared/contract.md says. A bad value never throws:
// one warning line names the variable, the value and what is accepted, and the default is used.
import { writeSync } from './original.js';
import { isMainThread } from 'node:worker_threads';

export type Mode = 'off' | 'default' | 'debug';
export type ReporterName = 'console' | 'json' | 'otel' | 'tui';
export type StackEngine = 'auto' | 'native' | 'inspector';

export interface Config {
  mode: Mode;
  slowMs: number;
  reporters: ReporterName[];
  reportDir: string | null;
  strict: boolean;
  /** Internal knob for troubleshooting and tests: which stack engine the watchdog uses. */
  engine: StackEngine;
  /** When sync-I/O findings start: at the app's first loop turn, or when a server first listens. */
  syncAfter: SyncAfter;
  /** Sync calls faster than this are counted but not reported. */
  syncMinMs: number;
  /** APIs (`fs.readFileSync`, `fs.*`) and file globs (`scripts/**`) whose sync calls are allowed. */
  allowSync: string[];
  /** A postMessage whose clone took this long on the sender is a large-message finding. */
  messageMs: number;
  /** A postMessage whose payload is estimated at this many bytes or more is a large-message finding. */
  messageBytes: number;
  /** Pool work that waited this long behind a full libuv pool is a threadpool-saturation finding. */
  poolWaitMs: number;
}

export type SyncAfter = 'turn' | 'listening';

export const DEFAULT_SLOW_MS = 100;
const REPORTER_NAMES: readonly ReporterName[] = ['console', 'json', 'otel', 'tui'];
/** Reporters the contract names that this version does not ship yet. */
const NOT_YET: readonly ReporterName[] = ['otel', 'tui'];

export type Warn = (line: string) => void;

/** Warnings go straight to fd 2, never through the app's streams or its (possibly blocked) loop. */
export const warnOnStderr: Warn = (line) => {
  try {
    writeSync(2, `asyncdebug: ${line}\n`);
  } catch {
    // stderr closed: nothing sensible to do.
  }
};

function parseSwitch(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'off') return false;
  return undefined;
}

function parseMode(raw: string | undefined, warn: Warn): Mode {
  if (raw === undefined || raw.trim() === '') return 'default';
  const on = parseSwitch(raw);
  if (on === true) return 'debug';
  if (on === false) return 'off';
  warn(`ignoring ASYNC_DEBUG=${JSON.stringify(raw)}: expected 1/true/on (debug mode) or 0/false/off (disabled); using default mode`);
  return 'default';
}

/** Configuration warnings once per process: workers re-read the same environment. */
const warnFromMainThread: Warn = (line) => {
  if (isMainThread) warnOnStderr(line);
};

export function readConfig(env: NodeJS.ProcessEnv = process.env, warn: Warn = warnFromMainThread): Config {
  const mode = parseMode(env.ASYNC_DEBUG, warn);

  let slowMs = DEFAULT_SLOW_MS;
  const rawSlow = env.ASYNC_DEBUG_SLOW_MS;
  if (rawSlow !== undefined && rawSlow.trim() !== '') {
    const n = Number(rawSlow);
    if (Number.isInteger(n) && n >= 1) slowMs = n;
    else warn(`ignoring ASYNC_DEBUG_SLOW_MS=${JSON.stringify(rawSlow)}: expected a whole number of milliseconds >= 1; using ${DEFAULT_SLOW_MS}`);
  }

  const reportDir = env.ASYNC_DEBUG_REPORT_DIR?.trim() ? env.ASYNC_DEBUG_REPORT_DIR.trim() : null;

  const reporters = new Set<ReporterName>();
  const rawReporters = env.ASYNC_DEBUG_REPORTERS;
  if (rawReporters === undefined || rawReporters.trim() === '') {
    reporters.add('console');
  } else {
    for (const part of rawReporters.split(',')) {
      const name = part.trim().toLowerCase();
      if (name === '') continue;
      if (!(REPORTER_NAMES as readonly string[]).includes(name)) {
        warn(`ignoring ${JSON.stringify(part.trim())} in ASYNC_DEBUG_REPORTERS: expected a comma list of ${REPORTER_NAMES.join(', ')}`);
        continue;
      }
      if ((NOT_YET as readonly string[]).includes(name)) {
        warn(`the ${name} reporter in ASYNC_DEBUG_REPORTERS is not available in this version; ignoring it`);
        continue;
      }
      reporters.add(name as ReporterName);
    }
  }
  if (reportDir) reporters.add('json');
  else if (reporters.has('json')) {
    warn('the json reporter needs ASYNC_DEBUG_REPORT_DIR=<directory>; no JSON Lines report will be written');
    reporters.delete('json');
  }

  let strict = false;
  const rawStrict = env.ASYNC_DEBUG_STRICT;
  if (rawStrict !== undefined && rawStrict.trim() !== '') {
    const on = parseSwitch(rawStrict);
    if (on === undefined) warn(`ignoring ASYNC_DEBUG_STRICT=${JSON.stringify(rawStrict)}: expected 1/true/on or 0/false/off; strict mode stays off`);
    else strict = on;
  }

  let engine: StackEngine = 'auto';
  const rawEngine = env.ASYNC_DEBUG_STACK_ENGINE;
  if (rawEngine !== undefined && rawEngine.trim() !== '') {
    const e = rawEngine.trim().toLowerCase();
    if (e === 'auto' || e === 'native' || e === 'inspector') engine = e;
    else warn(`ignoring ASYNC_DEBUG_STACK_ENGINE=${JSON.stringify(rawEngine)}: expected auto, native or inspector; using auto`);
  }

  let syncAfter: SyncAfter = 'turn';
  const rawAfter = env.ASYNC_DEBUG_SYNC_AFTER;
  if (rawAfter !== undefined && rawAfter.trim() !== '') {
    const a = rawAfter.trim().toLowerCase();
    if (a === 'turn' || a === 'listening') syncAfter = a;
    else warn(`ignoring ASYNC_DEBUG_SYNC_AFTER=${JSON.stringify(rawAfter)}: expected turn (the app's first loop turn) or listening (the first server listening); using turn`);
  }

  let syncMinMs = 0;
  const rawMin = env.ASYNC_DEBUG_SYNC_MIN_MS;
  if (rawMin !== undefined && rawMin.trim() !== '') {
    const n = Number(rawMin);
    if (Number.isFinite(n) && n >= 0) syncMinMs = n;
    else warn(`ignoring ASYNC_DEBUG_SYNC_MIN_MS=${JSON.stringify(rawMin)}: expected a number of milliseconds >= 0; using 0 (report every call)`);
  }

  const allowSync = (env.ASYNC_DEBUG_ALLOW_SYNC ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

  const messageMs = readNumber(env, 'ASYNC_DEBUG_MESSAGE_MS', 20, 1, 'a number of milliseconds >= 1', warn);
  const messageBytes = readNumber(env, 'ASYNC_DEBUG_MESSAGE_BYTES', 16 * 1024 * 1024, 1, 'a whole number of bytes >= 1', warn, true);
  const poolWaitMs = readNumber(env, 'ASYNC_DEBUG_POOL_WAIT_MS', 50, 1, 'a number of milliseconds >= 1', warn);

  return { mode, slowMs, reporters: [...reporters], reportDir, strict, engine, syncAfter, syncMinMs, allowSync, messageMs, messageBytes, poolWaitMs };
}

/** A number >= min from the environment, or the default with a warning. */
function readNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, accepted: string, warn: Warn, whole = false): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (Number.isFinite(n) && n >= min && (!whole || Number.isInteger(n))) return n;
  warn(`ignoring ${name}=${JSON.stringify(raw)}: expected ${accepted}; using ${fallback}`);
  return fallback;
}

/** How often each thread proves its loop turns, and how often the watchdog looks. */
export function heartbeatMs(slowMs: number): number {
  return Math.max(2, Math.min(20, Math.round(slowMs / 10)));
}
