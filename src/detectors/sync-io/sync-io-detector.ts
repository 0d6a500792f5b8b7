// The sync-I/O detector: after start-up, calls of synchronous APIs that block the loop become one
// `sync-io` finding per call site (api, total duration, count), and Atomics.wait one `atomics-wait`
// finding per site. In strict mode such a call throws SyncIOError instead of running. What is timed
// and when a site is written: policy.ts; what the app allows: allow-list.ts; the wrapper:
// detectors/wrap-sync.ts.
import Module, { syncBuiltinESMExports } from 'node:module';
import { relative } from 'node:path';
import type { Frame } from '../../finding.js';
import { captureOwnStack } from '../../frames/capture.js';
import { isLazyLoading, isModuleLoading, siteOf, toFrames } from '../../frames/frames.js';
import { where } from '../../wording.js';
import type { Detector, DetectorContext } from '../detector.js';
import { wrappedMark, whenBuiltinsLoad } from '../builtins.js';
import { wrapSyncFunction } from '../wrap-sync.js';
import { ATOMICS_WAIT, WRAPPED_MODULES, syncApisOf, type SyncApi, type WrappedModule } from './apis.js';
import { createAllowList, insideAllowSync } from './allow-list.js';
import { createSiteBook, type ApiState } from './policy.js';
import { isSampled } from '../sampling.js';

export { allowSync } from './allow-list.js';

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

const WRAPPED = wrappedMark('');

const moduleCache = (Module as unknown as { _cache: Record<string, { loaded?: boolean } | undefined> })._cache;

/** Node's CJS loader reading a module it is loading (it is in the cache, not loaded yet). */
function isLoaderRead(a: SyncApi, path: unknown): boolean {
  return a.key === 'readFileSync' && typeof path === 'string' && moduleCache[path]?.loaded === false;
}

/** Reads the caller's site; null when the call is Node's own or module loading. */
function appFrames(wrapper: Function): Frame[] | null {
  const frames = toFrames(captureOwnStack(wrapper), true);
  const caller = frames[0];
  if (!caller || caller.file.startsWith('node:')) return null; // Node calling on its own behalf
  // Module loading, at start-up or lazily later (a require in a handler, a test's proxyquire
  // resolving modules): its reads, and the top-level code of the modules it loads, are not the app's.
  if (isModuleLoading(frames) || isLazyLoading(frames)) return null;
  return frames;
}

export function startSyncIoDetector({ config, emit, startup }: DetectorContext): Detector {
  /** The agent's own work inside a wrapper must not be seen by the wrappers again. */
  let busy = false;
  const apis = new Map<string, ApiState>();
  const totals = { 'sync-io': 0, 'atomics-wait': 0 };
  const allowed = createAllowList(config);
  const book = createSiteBook(config.syncMinMs, emit);

  function wrap(a: SyncApi): (() => void) | null {
    const state: ApiState = { api: a.api, calls: 0, pending: 0, last: null };
    const kind = a.api === ATOMICS_WAIT.api ? 'atomics-wait' : 'sync-io';
    // Which calls are seen: after start-up, not the agent's own or Node's loader reading a module, and
    // sampled (the others are counted here and attributed to the next sampled call's site; a sampled
    // call made by a module's top-level code is told by its stack, appFrames).
    const observe = (a0: unknown, a1: unknown, a2: unknown): boolean => {
      if (!startup.serving || startup.exiting || busy || insideAllowSync()) return false;
      if ((a.when && !a.when(a0, a1, a2)) || isLoaderRead(a, a0)) return false;
      const n = ++state.calls;
      totals[kind]++;
      if (isSampled(n, config.strict)) return true;
      state.pending++;
      return false;
    };
    const unwrap = wrapSyncFunction(a.owner, a.key, WRAPPED, (original, self, args, wrapper) => {
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
      if (!frames || !site || allowed(a.api, site.file)) {
        state.pending = 0;
        totals[kind]--;
        return original.apply(self, args);
      }
      if (config.strict) {
        busy = true;
        try {
          book.report(book.record(state, frames, 0, Date.now()));
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
        return original.apply(self, args);
      } finally {
        const d = performance.now() - t0;
        busy = true;
        try {
          book.reportIfDue(book.record(state, frames, d, at));
        } catch {
          // never into the app
        } finally {
          busy = false;
        }
      }
    }, observe);
    if (unwrap) apis.set(a.api, state);
    return unwrap;
  }

  const unwraps: (() => void)[] = [];
  // Each builtin's sync APIs are wrapped once the app has loaded it (detectors/builtins.ts says when).
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

  return {
    name: 'sync-io',
    counts: () => ({ ...totals }),
    atExit() {
      // Sync calls in 'exit' handlers block no loop (the startup phase says exiting): final counts.
      book.flush(apis.values());
    },
    stop() {
      watch.stop();
      for (const u of unwraps) u();
      syncBuiltinESMExports();
    },
  };
}
