// The sync-I/O detector: after start-up, calls of synchronous APIs that block the loop become one
// `sync-io` finding per call site (api, total duration, count), and Atomics.wait one `atomics-wait`
// finding per site. In strict mode such a call throws SyncIOError instead of running.
//
// Cost: a wrapped call that is not sampled does one branch and one counter increment. Per API, the
// first 16 calls, then every power-of-two-th and every 1024th call are timed and have their site read
// (a stack capture costs 5-15 us, several statSync calls); the calls in between are attributed to the
// next sampled call's site (`estimated: true` on that finding). Strict mode reads every call's site.
import Module, { createRequire, syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';
import { relative } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Config } from '../../config.js';
import { makeFinding, type Finding, type Frame, type OtherFinding } from '../../finding.js';
import { captureOwnStack } from '../../frames/capture.js';
import { hideAgentFrames } from '../../frames/hide.js';
import { isLazyLoading, isModuleLoading, siteOf, toFrames } from '../../frames/frames.js';
import { formatDuration, where } from '../../reporters/console-format.js';
import type { Detector } from '../detector.js';
import { beginLookingForImports, isWrapped, loaderDepth, replaceFunction, whenBuiltinsLoad, wrappedMark } from '../builtins.js';
import { ATOMICS_WAIT, WRAPPED_MODULES, syncApisOf, type SyncApi, type WrappedModule } from './apis.js';

export class SyncIOError extends Error {
  readonly api: string;
  readonly site: Frame | null;
  constructor(api: string, site: Frame | null) {
    const at = site ? ` at ${where(site, process.cwd())}` : '';
    super(
      `asyncdebug strict mode: ${api} was called${at} after start-up, on the event loop, where it blocks every other request. ` +
        `Use the async API (fs.promises, the callback form, a worker), move the call to start-up, or allow it: ` +
        `ASYNC_DEBUG_ALLOW_SYNC=${api}${site ? ` or a glob of ${relative(process.cwd(), site.file) || site.file}` : ''}, or allowSync(() => …) from 'asyncdebug/api'.`,
    );
    this.name = 'SyncIOError';
    this.api = api;
    this.site = site;
  }
}

interface SiteStats {
  id: string;
  api: string;
  kind: 'sync-io' | 'atomics-wait';
  site: Frame | null;
  frames: Frame[];
  time: number;
  count: number;
  totalMs: number;
  maxMs: number;
  estimated: boolean;
  reported: boolean;
  reportedCount: number;
  nextReportAt: number;
}

interface ApiState {
  calls: number;
  /** Calls since the last sampled one, attributed to the next sampled call's site. */
  pending: number;
  /** Where the last sampled call was: the calls still pending at exit are attributed there. */
  last: SiteStats | null;
}

const ALWAYS_SAMPLED = 16;
const WRAPPED = wrappedMark('');

/** Wrapped sync calls in progress on this thread (a call inside another is Node's own). */
let inner = 0;

/** Set by allowSync(): calls inside run as they are, unreported. */
let allowDepth = 0;

export function allowSync<T>(fn: () => T): T {
  allowDepth++;
  try {
    return fn();
  } finally {
    allowDepth--;
  }
}

type Matcher = (path: string) => boolean;

const moduleCache = (Module as unknown as { _cache: Record<string, { loaded?: boolean } | undefined> })._cache;

/** Node's CJS loader reading a module it is loading (it is in the cache, not loaded yet). */
function isLoaderRead(a: SyncApi, args: unknown[]): boolean {
  return a.key === 'readFileSync' && typeof args[0] === 'string' && moduleCache[args[0]]?.loaded === false;
}

function globMatcher(globs: string[]): Matcher | null {
  if (globs.length === 0) return null;
  // Loaded only when the allow-list has globs; synchronously, so the first call is already judged by it.
  const picomatch = createRequire(import.meta.url)('picomatch') as typeof import('picomatch');
  const match = picomatch(globs, { dot: true });
  return (path) => match(path) || match(relative(process.cwd(), path));
}

export interface SyncIoDetector extends Detector {
  /** Sites for the exit summary of the console. */
  sites(): SiteStats[];
}

export function startSyncIoDetector(config: Config, emit: (f: Finding) => void): SyncIoDetector {
  let started = false;
  /** The agent's own work inside a wrapper must not be seen by the wrappers again. */
  let busy = false;
  const apis = new Map<string, ApiState>();
  const sites = new Map<string, SiteStats>();
  let counter = 0;
  const totals = { 'sync-io': 0, 'atomics-wait': 0 };

  const allowedApis = config.allowSync.filter((a) => /^[\w$]+\.([\w$]+|\*)$/.test(a));
  const globs = config.allowSync.filter((a) => !allowedApis.includes(a));
  let globMatch: Matcher | null = null;
  try {
    globMatch = globMatcher(globs);
  } catch {
    // picomatch missing: API entries of the allow-list still work
  }
  const apiAllowed = (api: string) =>
    allowedApis.some((a) => a === api || (a.endsWith('.*') && api.startsWith(a.slice(0, -1))));

  function report(s: SiteStats): void {
    s.reported = true;
    s.reportedCount = s.count;
    const kindWord = s.kind === 'atomics-wait' ? 'Atomics.wait blocked the loop' : `${s.api} ran on the loop`;
    emit(makeFinding<OtherFinding>(s.kind, {
      id: s.id,
      time: s.time,
      message: `${kindWord} ${s.count} time${s.count === 1 ? '' : 's'} at this site, ${formatDuration(s.totalMs)} in all.`,
      site: s.site,
      frames: s.frames,
      api: s.api,
      durationMs: Math.round(s.totalMs * 100) / 100,
      maxMs: Math.round(s.maxMs * 100) / 100,
      count: s.count,
      ...(s.estimated ? { estimated: true } : {}),
    }));
  }

  /** Reads the caller's site; null when the call is Node's own or start-up module loading. */
  function appFrames(wrapper: Function): Frame[] | null {
    const frames = toFrames(captureOwnStack(wrapper), true);
    const caller = frames[0];
    if (!caller || caller.file.startsWith('node:')) return null; // Node calling on its own behalf
    // Module loading, at start-up or lazily later (a require in a handler, a test's proxyquire
    // resolving modules): its reads, and the top-level code of the modules it loads, are not the app's.
    if (isModuleLoading(frames) || isLazyLoading(frames)) return null;
    return frames;
  }

  function addCalls(s: SiteStats, weight: number, durationMs: number): void {
    if (weight > 1) s.estimated = true;
    s.count += weight;
    s.totalMs += durationMs * weight;
    s.maxMs = Math.max(s.maxMs, durationMs);
  }

  function record(a: SyncApi, state: ApiState, frames: Frame[], durationMs: number, at: number): SiteStats {
    const site = siteOf(frames);
    const key = `${a.api} ${site ? `${site.file}:${site.line}:${site.column}` : frames[0] ? `${frames[0].file}:${frames[0].line}` : '?'}`;
    let s = sites.get(key);
    if (!s) {
      s = {
        id: `${a.api === 'Atomics.wait' ? 'atomics' : 'sync'}-${threadId}-${++counter}`,
        api: a.api,
        kind: a.api === 'Atomics.wait' ? 'atomics-wait' : 'sync-io',
        site,
        frames,
        time: at,
        count: 0,
        totalMs: 0,
        maxMs: 0,
        estimated: false,
        reported: false,
        reportedCount: 0,
        nextReportAt: 2,
      };
      sites.set(key, s);
    }
    addCalls(s, 1 + state.pending, durationMs);
    state.pending = 0;
    state.last = s;
    return s;
  }

  function wrap(a: SyncApi): (() => void) | null {
    const original = a.owner[a.key] as Function;
    if (isWrapped(original, WRAPPED)) return null;
    const state: ApiState = { calls: 0, pending: 0, last: null };
    apis.set(a.api, state);
    const kind = a.api === ATOMICS_WAIT.api ? 'atomics-wait' : 'sync-io';
    // `arguments` with apply, not rest parameters: V8 passes them on without allocating an array,
    // and a sync-heavy loop otherwise pays for one array per call in GC.
    // Our frame must not cost the app a frame of its own in an error's stack (stackTraceLimit counts
    // it), and V8 names a method `[as key]` only when the receiver holds the very function called.
    const swap = original.name !== a.key;
    const wrapper = function (this: unknown): unknown {
      const limit = Error.stackTraceLimit;
      const raise = typeof limit === 'number' && limit > 0 && limit !== Infinity;
      if (raise) Error.stackTraceLimit = limit + 1;
      if (swap) a.owner[a.key] = original;
      // A call Node makes inside another wrapped call (readFileSync's openSync, readSync, closeSync) is
      // that call's: it passes straight through.
      const nested = inner > 0;
      inner++;
      try {
        // eslint-disable-next-line prefer-rest-params
        const args = arguments as unknown as unknown[];
        if (nested || !started || busy || loaderDepth() > 0 || allowDepth > 0 || (a.when && !a.when(args)) || isLoaderRead(a, args)) {
          return original.apply(this, args);
        }
        const n = ++state.calls;
        totals[kind]++;
        const sampled = config.strict || n <= ALWAYS_SAMPLED || (n & (n - 1)) === 0 || n % 1024 === 0;
        if (!sampled) {
          state.pending++;
          return original.apply(this, args);
        }
        let frames: Frame[] | null;
        busy = true;
        try {
          frames = appFrames(wrapper);
        } finally {
          busy = false;
        }
        const site = frames && siteOf(frames);
        // Node's own call, module loading, a library's own machinery with no application frame on the
        // stack (a worker pool waiting for work), or allowed: not the app's finding, and not counted.
        if (!frames || !site || apiAllowed(a.api) || globMatch?.(site.file)) {
          state.pending = 0;
          totals[kind]--;
          return original.apply(this, args);
        }
        if (config.strict) {
          busy = true;
          try {
            const s = record(a, state, frames, 0, Date.now());
            report(s);
          } finally {
            busy = false;
          }
          const error = new SyncIOError(a.api, site);
          Error.captureStackTrace(error, wrapper);
          throw error;
        }
        const at = Date.now();
        const t0 = performance.now();
        try {
          return original.apply(this, args);
        } finally {
          const d = performance.now() - t0;
          busy = true;
          try {
            const s = record(a, state, frames, d, at);
            if (!s.reported ? s.maxMs >= config.syncMinMs : s.count >= s.nextReportAt) {
              if (s.reported) s.nextReportAt = s.count * 2;
              report(s);
            }
          } catch {
            // never into the app
          } finally {
            busy = false;
          }
        }
      } catch (err) {
        hideAgentFrames(err);
        throw err;
      } finally {
        inner--;
        if (raise && Error.stackTraceLimit === limit + 1) Error.stackTraceLimit = limit;
        if (swap) a.owner[a.key] = wrapper;
      }
    };
    return replaceFunction(a.owner, a.key, original, wrapper, WRAPPED);
  }

  const unwraps: (() => void)[] = [];
  // Each builtin's sync APIs are wrapped once the app has loaded it (builtins.ts says when).
  const watch = whenBuiltinsLoad(
    WRAPPED_MODULES,
    (name) => {
      for (const a of syncApisOf(name as WrappedModule)) {
        const unwrap = wrap(a);
        if (unwrap) unwraps.push(unwrap);
      }
    },
    ['fs'],
  );
  const unwrapAtomics = wrap(ATOMICS_WAIT);
  if (unwrapAtomics) unwraps.push(unwrapAtomics);

  // Start-up ends at the first loop turn, or when the first server listens.
  let restoreListen: (() => void) | null = null;
  let firstTurnAt = 0;
  const beginAfterStartup = () => {
    if (firstTurnAt) return;
    firstTurnAt = Date.now();
    beginLookingForImports();
  };
  if (config.syncAfter === 'listening') {
    setImmediate(beginAfterStartup).unref();
    const net = createRequire(import.meta.url)('node:net') as typeof import('node:net');
    const proto = net.Server.prototype as unknown as { listen: Function };
    const listen = proto.listen;
    proto.listen = function (this: import("node:net").Server, ...args: unknown[]) {
      this.once('listening', () => (started = true));
      return Reflect.apply(listen, this, args);
    };
    restoreListen = () => {
      proto.listen = listen;
    };
  } else {
    // Whichever phase of the first loop turn comes first: this timer is older than any of the app's,
    // so it runs before them even when module loading outlasted their delays.
    const start = () => {
      if (started) return;
      beginAfterStartup();
      started = true;
    };
    setTimeout(start, 0).unref();
    setImmediate(start).unref();
  }

  return {
    name: 'sync-io',
    counts: () => ({ ...totals }),
    sites: () => [...sites.values()],
    atExit() {
      started = false; // sync calls in 'exit' handlers block no loop: the loop is done
      // Calls after the last sample go to that sample's site; then final counts where a line is behind.
      for (const state of apis.values()) {
        if (state.pending > 0 && state.last) addCalls(state.last, state.pending, state.last.totalMs / state.last.count);
        state.pending = 0;
      }
      for (const s of sites.values()) if (s.reported && s.count !== s.reportedCount) report(s);
    },
    stop() {
      watch.stop();
      for (const u of unwraps) u();
      restoreListen?.();
      syncBuiltinESMExports();
    },
  };
}
