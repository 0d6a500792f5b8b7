// The threadpool detector: work on the libuv pool (fs, crypto, zlib, dns.lookup) that waited behind a
// full pool. The pool's queue cannot be seen from JavaScript; submit and completion can. Every thread
// of the process shares one pool, so submissions and completions are counted in shared memory. The
// queue is FIFO: the call submitted as number s starts once s - poolSize + 1 calls have completed, so a
// call submitted with poolSize or more in flight waited until that completion (or its own, if sooner).
// Calls that are chains of short requests (readFile) are not counted as filling the pool (they hold a
// thread only now and then: eight concurrent big readFiles do not wait for each other's ends), only as
// waiting for it.
// Time the loop itself was busy during the wait is taken off (a blocked loop delays the callbacks that
// show completions, and is reported as a block), so a wait is the pool's.
//
// One `threadpool-saturation` finding per episode (the pool full, as this thread saw it) in which a call
// waited >= ASYNC_DEBUG_POOL_WAIT_MS: written when the first wait crosses it (ongoing), again when the
// episode ends, with the worst wait, the deepest queue, the pool size, the sites that filled the pool
// (top submitters) and the site that waited.
//
// Cost: a wrapped call that is not sampled does a few counter updates and wraps its callback (or awaits
// its promise). Sites are read like sync-io's: per API the first 16 calls, every power-of-two-th and
// every 1024th (../sampling.ts); calls in between are attributed to the API's last sampled site. Queued calls are read
// too, the first 4 of an episode and at most 32 a second in all (a pool that fills and drains a thousand
// times a second must not cost a stack read each time). The clock is read only for queued calls and
// while some wait.
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId } from 'node:worker_threads';
import { makeFinding, type OtherFinding } from '../../finding.js';
import { isAgentFile } from '../../frames/agent-files.js';
import { captureOwnStack } from '../../frames/capture.js';
import { siteOf, toFrames, type RawFrame } from '../../frames/frames.js';
import { formatDuration, where } from '../../wording.js';
import { isWrapped, replaceFunction, whenBuiltinsLoad, wrappedMark } from '../builtins.js';
import type { Detector, DetectorContext } from '../detector.js';
import { isSampled } from '../sampling.js';
import { POOL_MODULES, poolApisOf, poolSizeFrom, type PoolApi, type PoolModule } from './apis.js';
import { elu } from '../../hub/publish.js';

const WRAPPED = wrappedMark('threadpool');
const QUEUED_SAMPLED = 4;
const QUEUED_SAMPLED_PER_SECOND = 32;
const TOP_SUBMITTERS = 3;
/** Shared counters of pool work, one pair per process (environment data reaches every worker). */
const COUNTERS_KEY = 'asyncdebug:pool';
const SUBMITTED = 0;
const COMPLETED = 1;
/** The pool's size as the main thread read it: a worker's process.env may have been changed since. */
const POOL_SIZE = 2;

interface Site {
  api: string;
  raw: RawFrame[];
  /** Calls of this site in flight now (sampled ones and those attributed to it). */
  inflight: number;
}

interface ApiState {
  api: string;
  calls: number;
  /** The last sampled call's site: unsampled calls are attributed to it. */
  last: Site | null;
}

interface Call {
  site: Site | null;
  composite: boolean;
  estimated: boolean;
  at: number;
  /** The completion count at which it starts in the pool; only for calls that were queued. */
  target: number;
  /** Loop active time (ELU) at submit, for queued calls. */
  active0: number;
  episode: Episode | null;
  resolved: boolean;
  done: boolean;
}

interface Episode {
  id: string;
  time: number;
  startedAt: number;
  queued: number;
  worstMs: number;
  worst: Call | null;
  waited: number;
  /** Calls in flight during the episode, per site: the sites that filled the pool. */
  submitters: Map<Site, number>;
  reportedMs: number;
  ended: boolean;
}

function sharedCounters(): Int32Array {
  let sab = getEnvironmentData(COUNTERS_KEY);
  if (!(sab instanceof SharedArrayBuffer)) {
    sab = new SharedArrayBuffer(12);
    if (isMainThread) setEnvironmentData(COUNTERS_KEY, sab);
  }
  return new Int32Array(sab as SharedArrayBuffer);
}

export function startThreadpoolDetector({ config, emit, startup }: DetectorContext): Detector {
  const counters = sharedCounters();
  // The size the pool starts with: under --import the ESM loader reads the app's files on the pool, so
  // it starts before the app's code, and a UV_THREADPOOL_SIZE the app sets in process.env comes too late.
  const poolSize = Atomics.load(counters, POOL_SIZE) || poolSizeFrom(process.env.UV_THREADPOOL_SIZE);
  if (isMainThread) Atomics.store(counters, POOL_SIZE, poolSize);
  let episode: Episode | null = null;
  let episodes = 0;
  let reported = 0;
  /** Queued calls of this thread waiting for their start, in submission order. */
  const waiters: Call[] = [];
  let head = 0;
  const sites = new Map<string, Site>();
  const active = new Set<Site>();

  const activeMs = () => {
    const u = elu();
    return u.active;
  };

  function siteFor(state: ApiState, wrapper: Function): Site | null {
    const raw = captureOwnStack(wrapper);
    let i = 0;
    // Past another detector's wrapper around this one, to the caller.
    while (i < raw.length - 1 && isAgentFile(raw[i]!.file)) i++;
    const frames = i ? raw.slice(i) : raw;
    if (frames.length === 0) return state.last;
    const first = frames.find((f) => f.file && !f.file.startsWith('node:') && !f.file.includes('/node_modules/')) ?? frames[0]!;
    const key = `${state.api} ${first.file}:${first.line}:${first.column}`;
    let s = sites.get(key);
    if (!s) {
      s = { api: state.api, raw: frames, inflight: 0 };
      sites.set(key, s);
    }
    state.last = s;
    return s;
  }

  function newEpisode(now: number): Episode {
    const e: Episode = {
      id: `pool-${threadId}-${++episodes}`,
      time: Date.now(),
      startedAt: now,
      queued: 0,
      worstMs: 0,
      worst: null,
      waited: 0,
      submitters: new Map(),
      reportedMs: 0,
      ended: false,
    };
    for (const s of active) e.submitters.set(s, s.inflight);
    return e;
  }

  /** Stack reads of queued calls this second: bounded, whatever the pool does. */
  let queuedReads = 0;
  let queuedReadsSecond = 0;
  function mayReadQueued(e: Episode, now: number): boolean {
    if (e.queued >= QUEUED_SAMPLED) return false;
    const second = Math.floor(now / 1000);
    if (second !== queuedReadsSecond) {
      queuedReadsSecond = second;
      queuedReads = 0;
    }
    return ++queuedReads <= QUEUED_SAMPLED_PER_SECOND;
  }

  function submit(state: ApiState, composite: boolean, wrapper: Function): Call {
    const seq = composite ? Atomics.load(counters, SUBMITTED) : Atomics.add(counters, SUBMITTED, 1);
    const inflight = (seq - Atomics.load(counters, COMPLETED)) | 0;
    // Waits are judged from the first loop turn: before it, callbacks cannot run and module loading
    // would read as waiting.
    const queued = startup.turned && !startup.exiting && inflight >= poolSize;
    const now = queued ? performance.now() : 0;
    if (queued && !episode) episode = newEpisode(now);
    const n = ++state.calls;
    let site: Site | null;
    let estimated = false;
    if (isSampled(n, false) || (queued && mayReadQueued(episode!, now))) {
      site = siteFor(state, wrapper);
    } else {
      site = state.last;
      estimated = true;
    }
    const call: Call = { site, estimated, composite, at: now, target: 0, active0: 0, episode: null, resolved: true, done: false };
    // Chains of short requests are not counted as filling the pool, so they are no submitters either.
    if (site && !composite) {
      if (site.inflight++ === 0) active.add(site);
      if (episode) episode.submitters.set(site, (episode.submitters.get(site) ?? 0) + 1);
    }
    if (queued) {
      const e = episode!;
      e.queued = Math.max(e.queued, inflight - poolSize + 1);
      call.target = (seq - poolSize + 1) | 0;
      call.active0 = activeMs();
      call.episode = e;
      call.resolved = false;
      waiters.push(call);
    }
    return call;
  }

  function finish(call: Call, now: number): void {
    call.resolved = true;
    const e = call.episode;
    if (!e) return;
    const waitMs = now - call.at - Math.max(0, activeMs() - call.active0);
    if (waitMs <= e.worstMs) {
      if (waitMs >= config.poolWaitMs) e.waited++;
      return;
    }
    e.worstMs = waitMs;
    e.worst = call;
    if (waitMs < config.poolWaitMs) return;
    e.waited++;
    // The first wait over the threshold is written at once; a worse one when it doubles.
    if (e.reportedMs === 0 || waitMs >= 2 * e.reportedMs) report(e, true);
  }

  /** Resolves queued calls whose start has come (by the shared completion count). */
  function resolveWaiters(now: number): void {
    const completed = Atomics.load(counters, COMPLETED);
    while (head < waiters.length) {
      const w = waiters[head]!;
      if (!w.resolved) {
        if (((completed - w.target) | 0) < 0) break;
        finish(w, now);
      }
      head++;
    }
    if (head > 1024 && head * 2 > waiters.length) {
      waiters.splice(0, head);
      head = 0;
    }
  }

  function complete(call: Call): void {
    if (call.done) return;
    call.done = true;
    if (!call.composite) Atomics.add(counters, COMPLETED, 1);
    // The clock only while some call of this thread waits for the pool.
    const now = !call.resolved || head < waiters.length ? performance.now() : 0;
    const s = call.site;
    if (s && !call.composite && --s.inflight === 0) active.delete(s);
    if (!call.resolved) finish(call, now); // done before the count said it started: it waited this long at most
    resolveWaiters(now);
    const e = episode;
    if (e && head >= waiters.length) {
      const inflight = (Atomics.load(counters, SUBMITTED) - Atomics.load(counters, COMPLETED)) | 0;
      if (inflight < poolSize) endEpisode(e);
    }
  }

  /** A call that threw before reaching the pool: it is done, and it waited for nothing. */
  function unsent(call: Call): void {
    try {
      call.resolved = true;
      complete(call);
    } catch {
      // never into the app
    }
  }

  function endEpisode(e: Episode): void {
    episode = null;
    e.ended = true;
    if (e.reportedMs > 0) report(e, false);
  }

  function submitterList(e: Episode) {
    return [...e.submitters.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_SUBMITTERS)
      .map(([s, count]) => {
        const frames = toFrames(s.raw);
        return { api: s.api, count, site: siteOf(frames) ?? frames[0] ?? null };
      });
  }

  function report(e: Episode, ongoing: boolean): void {
    const w = e.worst;
    if (!w) return;
    if (e.reportedMs === 0) reported++;
    e.reportedMs = e.worstMs;
    const frames = w.site ? toFrames(w.site.raw) : [];
    const site = siteOf(frames);
    const submitters = submitterList(e);
    const api = w.site?.api ?? 'pool work';
    const names = submitters.map((s) => `${s.api} ×${s.count}${s.site ? ` at ${where(s.site, process.cwd())}` : ''}`).join(', ');
    emit(makeFinding<OtherFinding>('threadpool-saturation', {
      id: e.id,
      time: e.time,
      message:
        `${api} waited ${formatDuration(e.worstMs)} for the libuv thread pool: all ${poolSize} of its threads were busy` +
        ` (up to ${e.queued} call${e.queued === 1 ? '' : 's'} queued)${names ? `, filled by ${names}` : ''}.` +
        ` Limit the concurrency of the slow work, move it to a worker, or raise UV_THREADPOOL_SIZE before the pool starts.`,
      site,
      frames,
      durationMs: Math.round(e.worstMs),
      queued: e.queued,
      poolSize,
      api,
      submitters,
      waited: e.waited,
      ongoing,
      ...(w.estimated ? { estimated: true } : {}),
    }));
  }

  function wrap(a: PoolApi): (() => void) | null {
    const original = a.owner[a.key] as Function;
    if (typeof original !== 'function' || isWrapped(original, WRAPPED)) return null;
    const state: ApiState = { api: a.api, calls: 0, last: null };
    let wrapper: Function;
    if (a.style === 'callback') {
      wrapper = function (this: unknown): unknown {
        // eslint-disable-next-line prefer-rest-params
        const args = arguments as unknown as unknown[];
        const n = args.length;
        const cb = args[n - 1];
        if (typeof cb !== 'function') return original.apply(this, args);
        let call: Call;
        try {
          call = submit(state, a.composite, wrapper);
        } catch {
          return original.apply(this, args);
        }
        // Named for the one frame it adds under the app's callback in a stack trace.
        args[n - 1] = function asyncdebugPoolCallback(this: unknown): unknown {
          try {
            complete(call);
          } catch {
            // never into the app's callback
          }
          // eslint-disable-next-line prefer-rest-params
          return cb.apply(this, arguments);
        };
        // Not catch-and-rethrow: the app's uncaught error must point where Node threw it.
        let sent = false;
        try {
          const result = original.apply(this, args);
          sent = true;
          return result;
        } finally {
          if (!sent) unsent(call); // a bad argument: nothing went to the pool
        }
      };
    } else {
      wrapper = function (this: unknown): unknown {
        // eslint-disable-next-line prefer-rest-params
        const args = arguments as unknown as unknown[];
        let call: Call;
        try {
          call = submit(state, a.composite, wrapper);
        } catch {
          return original.apply(this, args);
        }
        let sent = false;
        try {
          const result = original.apply(this, args);
          sent = true;
          return asyncdebugPoolPromise(result as Promise<unknown>, call);
        } finally {
          if (!sent) unsent(call);
        }
      };
    }
    return replaceFunction(a.owner, a.key, original, wrapper, WRAPPED);
  }

  // An async function, not .then(): the app's await chain (and async stack traces) go through it,
  // and a rejection nobody handles stays unhandled, as it was.
  async function asyncdebugPoolPromise(p: Promise<unknown>, call: Call): Promise<unknown> {
    try {
      return await p;
    } finally {
      try {
        complete(call);
      } catch {
        // never into the app
      }
    }
  }

  const unwraps: (() => void)[] = [];
  const watch = whenBuiltinsLoad(POOL_MODULES, (name) => {
    for (const a of poolApisOf(name as PoolModule)) {
      const unwrap = wrap(a);
      if (unwrap) unwraps.push(unwrap);
    }
  });
  return {
    name: 'threadpool',
    counts: () => ({ 'threadpool-saturation': reported }),
    atExit() {
      const e = episode;
      if (e) {
        resolveWaiters(performance.now());
        endEpisode(e);
      }
    },
    stop() {
      watch.stop();
      for (const u of unwraps) u();
    },
  };
}
