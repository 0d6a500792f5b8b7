// The sync-I/O detector: after start-up, calls of synchronous APIs that block the loop become one
// `sync-io` finding per call site (api, total duration, count), and Atomics.wait one `atomics-wait`
// finding per site. In strict mode such a call throws SyncIOError instead of running. What is timed
// and when a site is written: policy.ts; what the app allows: allow-list.ts; the wrapper:
// detectors/wrap-sync.ts.
import { Module, syncBuiltinESMExports } from 'node:module';
import { relative } from 'node:path';
import type { Frame } from '../../finding.js';
import { isAgentFile, mayBeAgentFile } from '../../frames/agent-files.js';
import { captureOwnStack } from '../../frames/capture.js';
import { toFrames } from '../../frames/frames.js';
import { now, monotonicNow } from '../../original.js';
import { where } from '../../wording.js';
import type { Detector, DetectorContext } from '../detector.js';
import { wrappedMark, whenBuiltinsLoad } from '../builtins.js';
import { attributeSyncCall, type SyncAttribution } from './attribution.js';
import { wrapSyncFunction } from '../wrap-sync.js';
import { ATOMICS_WAIT, WRAPPED_MODULES, syncApisOf, type SyncApi, type WrappedModule } from './apis.js';
import { createAllowList, insideAllowSync } from './allow-list.js';
import { createSiteBook, type ApiState } from './policy.js';
import { isSampled, MAX_GIVEN_BACK } from '../sampling.js';

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
function isLoaderRead(path: unknown): boolean {
  return typeof path === 'string' && moduleCache[path]?.loaded === false;
}

const A = 'a'.charCodeAt(0);

/**
 * A call on one of the agent's own files (a library checking each `--import` path of NODE_OPTIONS,
 * where `asyncdebug run` put the agent's): the agent's doing, not the app's.
 */
function onAgentFile(path: unknown): boolean {
  if (typeof path === 'string') {
    // On every call the app makes: the first characters rule out most paths.
    if (path.charCodeAt(0) === A && path.startsWith('asyncdebug') && (path.length === 10 || path.charCodeAt(10) === 47)) return true;
    return mayBeAgentFile(path) && isAgentFile(path);
  }
  return typeof path === 'object' && path instanceof URL && isAgentFile(path.href);
}

/** The call's stack and whose call it is (attribution.ts); null when it is nobody's finding. */
function attribute(wrapper: Function): { frames: Frame[]; who: SyncAttribution } | null {
  const frames = toFrames(captureOwnStack(wrapper), true);
  const who = attributeSyncCall(frames);
  return who && { frames, who };
}

/** One wrapped API, as its wrapper's quick look at each call sees it. */
interface Watched {
  state: ApiState;
  api: string;
  atomics: boolean;
  /** fs.readFileSync: Node's CJS loader reads modules with it (isLoaderRead). */
  loaderReads: boolean;
  when: SyncApi['when'];
  /** Its index among the slot's sync-API counts: -2 before its first counted call, -1 when full. */
  counted: number;
}

export function startSyncIoDetector({ config, emit, startup, slot }: DetectorContext): Detector {
  /** The agent's own work inside a wrapper must not be seen by the wrappers again. */
  let busy = false;
  const apis = new Map<string, ApiState>();
  const totals = { 'sync-io': 0, 'atomics-wait': 0 };
  const allowed = createAllowList(config);
  const book = createSiteBook(config.syncMinMs, emit);

  // Where an API's calls are counted in the thread's slot, for readers of its health (the otel
  // reporter's exact counts at every collection): taken at its first counted call.
  const countCalls = (w: Watched, delta: number) => {
    if (w.counted === -2) w.counted = slot.addSyncApi(w.api);
    if (w.counted >= 0) slot.countSyncCalls(w.counted, delta);
  };
  // Which calls are seen: after start-up, not the agent's own or Node's loader's, and sampled (the
  // others are counted here and attributed to the next sampled call's site). One function for every
  // API (it gets the API's own state), so that V8 compiles the wrappers' call of it once.
  const observe = (a0: unknown, a1: unknown, a2: unknown, w: Watched): boolean => {
    if (!startup.serving || startup.exiting || busy || insideAllowSync()) return false;
    if ((w.when && !w.when(a0, a1, a2)) || (w.loaderReads && isLoaderRead(a0)) || onAgentFile(a0)) return false;
    const n = ++w.state.calls;
    if (w.atomics) totals['atomics-wait']++;
    else totals['sync-io']++;
    countCalls(w, 1);
    if (isSampled(n, config.strict)) return true;
    w.state.pending++;
    return false;
  };

  function wrap(a: SyncApi): (() => void) | null {
    const state: ApiState = { api: a.api, calls: 0, pending: 0, givenBack: 0, last: null };
    const kind = a.api === ATOMICS_WAIT.api ? 'atomics-wait' : 'sync-io';
    const w: Watched = { state, api: a.api, atomics: kind === 'atomics-wait', loaderReads: a.key === 'readFileSync', when: a.when, counted: -2 };
    const count = (delta: number) => countCalls(w, delta);
    const giveBack = () => {
      if (state.givenBack >= MAX_GIVEN_BACK) return;
      state.givenBack++;
      state.calls--;
    };
    const unwrap = wrapSyncFunction(a.owner, a.key, WRAPPED, (original, self, args, wrapper) => {
      let call: ReturnType<typeof attribute>;
      busy = true;
      try {
        call = attribute(wrapper);
      } finally {
        busy = false;
      }
      if (!call || call.who.moduleLoad) giveBack();
      // Node's own call, code Node's loader runs, a library's own machinery with no application frame
      // on the stack (a worker pool waiting for work), or allowed: not a finding, and not counted.
      if (!call || allowed(a.api, call.who.site.file)) {
        state.pending = 0;
        totals[kind]--;
        count(-1);
        return original.apply(self, args);
      }
      const { frames, who } = call;
      // Strict mode stops the app's own calls; a loader's would break the app's imports.
      if (config.strict && !who.moduleLoad) {
        busy = true;
        try {
          book.report(book.record(state, frames, 0, now(), who.site));
        } finally {
          busy = false;
        }
        const error = new SyncIOError(a.api, who.site);
        Error.captureStackTrace(error, wrapper);
        throw error;
      }
      const at = now();
      const t0 = monotonicNow();
      try {
        return original.apply(self, args);
      } finally {
        const d = monotonicNow() - t0;
        busy = true;
        try {
          book.reportIfDue(book.record(state, frames, d, at, who.site, who.moduleLoad));
        } catch {
          // never into the app
        } finally {
          busy = false;
        }
      }
    }, observe, w);
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
