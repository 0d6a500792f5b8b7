// The threadpool detector: work on the libuv pool (fs, crypto, zlib, dns.lookup) that waited behind a
// full pool. The pool APIs (apis.ts) are wrapped (pool-wrappers.ts) once the app loads their module;
// the ledger (ledger.ts) infers from the process-wide counts which calls waited, and for how long.
//
// One `threadpool-saturation` finding per episode (the pool full, as this thread saw it) in which a call
// waited >= ASYNC_DEBUG_POOL_WAIT_MS: written when the first wait crosses it (ongoing), again when the
// episode ends, with the worst wait, the deepest queue, the pool size, the sites that filled the pool
// (top submitters) and the site that waited.
//
// Cost: a wrapped call that is not sampled does a few counter updates and wraps its callback (or awaits
// its promise); ledger.ts says when the clock and the stack are read.
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId } from 'node:worker_threads';
import { makeFinding, type OtherFinding } from '../../finding.js';
import { isAgentFile } from '../../frames/agent-files.js';
import { captureOwnStack } from '../../frames/capture.js';
import { siteOf, toFrames, type RawFrame } from '../../frames/frames.js';
import { formatDuration, where } from '../../wording.js';
import { whenBuiltinsLoad } from '../builtins.js';
import type { Detector, DetectorContext } from '../detector.js';
import { POOL_MODULES, poolApisOf, poolSizeFrom, type PoolModule } from './apis.js';
import { COUNTERS_LENGTH, POOL_SIZE, PoolLedger, topSubmitters, type LedgerClock, type PoolEpisode, type PoolSite } from './ledger.js';
import { wrapPoolApi } from './pool-wrappers.js';
import { elu } from '../../loop-utilization.js';
import { monotonicNow, now } from '../../original.js';

const TOP_SUBMITTERS = 3;
/** Shared counters of pool work, one set per process (environment data reaches every worker). */
const COUNTERS_KEY = 'asyncdebug:pool';

/** A call site of a pool API, with the stack it was read from. */
interface Site extends PoolSite {
  raw: RawFrame[];
}

function sharedCounters(): Int32Array {
  let sab = getEnvironmentData(COUNTERS_KEY);
  if (!(sab instanceof SharedArrayBuffer)) {
    sab = new SharedArrayBuffer(COUNTERS_LENGTH * Int32Array.BYTES_PER_ELEMENT);
    if (isMainThread) setEnvironmentData(COUNTERS_KEY, sab);
  }
  return new Int32Array(sab as SharedArrayBuffer);
}

/** The size the pool starts with, one answer for every thread of the process. */
function sharedPoolSize(counters: Int32Array): number {
  // Under --import the ESM loader reads the app's files on the pool, so it starts before the app's
  // code, and a UV_THREADPOOL_SIZE the app sets in process.env comes too late.
  const poolSize = Atomics.load(counters, POOL_SIZE) || poolSizeFrom(process.env.UV_THREADPOOL_SIZE);
  if (isMainThread) Atomics.store(counters, POOL_SIZE, poolSize);
  return poolSize;
}

const clock: LedgerClock = {
  now: monotonicNow,
  loopActiveMs: () => elu().active,
  wallMs: now,
};

/** Reads a call's site (one per API and line), past the frames of the agent's own wrappers. */
function siteReader(): (api: string, below: Function) => Site | null {
  const sites = new Map<string, Site>();
  return (api, below) => {
    const raw = captureOwnStack(below);
    let i = 0;
    // Past another detector's wrapper around this one, to the caller.
    while (i < raw.length - 1 && isAgentFile(raw[i]!.file)) i++;
    const frames = i ? raw.slice(i) : raw;
    if (frames.length === 0) return null;
    const first = frames.find((f) => f.file && !f.file.startsWith('node:') && !f.file.includes('/node_modules/')) ?? frames[0]!;
    const key = `${api} ${first.file}:${first.line}:${first.column}`;
    let s = sites.get(key);
    if (!s) {
      s = { api, raw: frames, inflight: 0 };
      sites.set(key, s);
    }
    return s;
  };
}

/** The finding of an episode, as the ledger reports it. */
export function saturationFinding(e: PoolEpisode<Site>, ongoing: boolean, poolSize: number): OtherFinding | null {
  const w = e.worst;
  if (!w) return null;
  const frames = w.site ? toFrames(w.site.raw) : [];
  const submitters = topSubmitters(e, TOP_SUBMITTERS).map(([s, count]) => {
    const at = toFrames(s.raw);
    return { api: s.api, count, site: siteOf(at) ?? at[0] ?? null };
  });
  const api = w.site?.api ?? 'pool work';
  const names = submitters.map((s) => `${s.api} ×${s.count}${s.site ? ` at ${where(s.site, process.cwd())}` : ''}`).join(', ');
  return makeFinding<OtherFinding>('threadpool-saturation', {
    id: e.id,
    time: e.time,
    message:
      `${api} waited ${formatDuration(e.worstMs)} for the libuv thread pool: all ${poolSize} of its threads were busy` +
      ` (up to ${e.queued} call${e.queued === 1 ? '' : 's'} queued)${names ? `, filled by ${names}` : ''}.` +
      ` Limit the concurrency of the slow work, move it to a worker, or raise UV_THREADPOOL_SIZE before the pool starts.`,
    site: siteOf(frames),
    frames,
    durationMs: Math.round(e.worstMs),
    queued: e.queued,
    poolSize,
    api,
    submitters,
    waited: e.waited,
    ongoing,
    ...(w.estimated ? { estimated: true } : {}),
  });
}

export function startThreadpoolDetector({ config, emit, startup }: DetectorContext): Detector {
  const counters = sharedCounters();
  const poolSize = sharedPoolSize(counters);
  const ledger = new PoolLedger<Site>({
    counters,
    poolSize,
    waitMs: config.poolWaitMs,
    threadId,
    phase: startup,
    clock,
    readSite: siteReader(),
    report(e, ongoing) {
      const finding = saturationFinding(e, ongoing, poolSize);
      if (finding) emit(finding);
    },
  });
  const unwraps: (() => void)[] = [];
  const watch = whenBuiltinsLoad(POOL_MODULES, (name) => {
    for (const a of poolApisOf(name as PoolModule)) {
      const unwrap = wrapPoolApi(a, ledger);
      if (unwrap) unwraps.push(unwrap);
    }
  });
  return {
    name: 'threadpool',
    counts: () => ({ 'threadpool-saturation': ledger.reported }),
    atExit() {
      ledger.flush();
    },
    stop() {
      watch.stop();
      for (const u of unwraps) u();
    },
  };
}
