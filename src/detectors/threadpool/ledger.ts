// The thread-pool ledger: what this thread submitted to the libuv pool and saw complete, which of its
// calls waited behind a full pool and how long, and the episodes (the pool full, as this thread saw it)
// those waits make. Pure: the shared counters, the clocks, the stack reader and the report are given.
//
// The pool's queue cannot be seen from JavaScript; submit and completion can. Every thread of the
// process shares one pool, so submissions and completions are counted in shared memory (`counters`). The
// queue is FIFO: the call submitted as number s starts once s - poolSize + 1 calls have completed, so a
// call submitted with poolSize or more in flight waited until that completion (or its own, if sooner).
// Calls that are chains of short requests (readFile) are not counted as filling the pool (they hold a
// thread only now and then: eight concurrent big readFiles do not wait for each other's ends), only as
// waiting for it. Time the loop itself was busy during the wait is taken off (a blocked loop delays the
// callbacks that show completions, and is reported as a block), so a wait is the pool's.
//
// Cost, per call: a few counter updates and one small object. The clock is read only for queued calls
// and while some wait; sites are read as detectors/sampling.ts says, and queued calls besides: the
// first 4 of an episode and at most 32 a second in all (a pool that fills and drains a thousand times a
// second must not cost a stack read each time).
import { isSampled } from '../sampling.js';

/** The shared counters (an Int32Array over one SharedArrayBuffer per process): these indexes. */
export const SUBMITTED = 0;
export const COMPLETED = 1;
/** The pool's size as the main thread read it: a worker's process.env may have been changed since. */
export const POOL_SIZE = 2;
export const COUNTERS_LENGTH = 3;

const QUEUED_SAMPLED = 4;
const QUEUED_SAMPLED_PER_SECOND = 32;

/** Where calls come from: one per API and call site (the ledger counts its calls in flight). */
export interface PoolSite {
  api: string;
  /** Calls of this site in flight now (sampled ones and those attributed to it). */
  inflight: number;
}

/** One wrapped API's calls. */
export interface ApiCalls<S extends PoolSite> {
  api: string;
  calls: number;
  /** The last sampled call's site: unsampled calls are attributed to it. */
  last: S | null;
}

export interface PoolCall<S extends PoolSite> {
  site: S | null;
  composite: boolean;
  /** Its site is the API's last sampled one, not read for this call. */
  estimated: boolean;
  /** When it was submitted (the `now` clock); only for calls that were queued. */
  at: number;
  /** The completion count at which it starts in the pool; only for calls that were queued. */
  target: number;
  /** Loop active time at submit, for queued calls. */
  active0: number;
  episode: PoolEpisode<S> | null;
  /** Its start is known (it started, or it completed, or it never went to the pool). */
  resolved: boolean;
  done: boolean;
}

export interface PoolEpisode<S extends PoolSite> {
  id: string;
  /** Wall-clock time it started. */
  time: number;
  startedAt: number;
  /** The deepest queue seen. */
  queued: number;
  worstMs: number;
  worst: PoolCall<S> | null;
  /** Calls that waited at least the threshold. */
  waited: number;
  /** Calls in flight during the episode, per site: the sites that filled the pool. */
  submitters: Map<S, number>;
  /** The worst wait written so far (0: not written yet). */
  reportedMs: number;
  ended: boolean;
}

export interface LedgerClock {
  /** A monotonic clock in ms (original.ts monotonicNow). */
  now(): number;
  /** The loop's active time in ms so far (event-loop utilization), on the same scale as `now`. */
  loopActiveMs(): number;
  /** Wall-clock ms (Date.now), for an episode's time. */
  wallMs(): number;
}

export interface LedgerOptions<S extends PoolSite> {
  counters: Int32Array;
  poolSize: number;
  /** ASYNC_DEBUG_POOL_WAIT_MS: a wait this long makes the episode a finding. */
  waitMs: number;
  /** This thread's id, for the episodes' ids. */
  threadId: number;
  /** Waits are judged from the first loop turn (before it, callbacks cannot run, and module loading
   *  would read as waiting) until exit. Read at each submit. */
  phase: { readonly turned: boolean; readonly exiting: boolean };
  clock: LedgerClock;
  /** The site of the call being made (`below`: the wrapper, whose caller it is); null when unknown. */
  readSite(api: string, below: Function): S | null;
  /** An episode is written: when a wait first crosses the threshold and at each doubling (ongoing),
   *  and when it ends. */
  report(episode: PoolEpisode<S>, ongoing: boolean): void;
}

export class PoolLedger<S extends PoolSite> {
  /** Episodes written. */
  reported = 0;
  private episode: PoolEpisode<S> | null = null;
  private episodes = 0;
  /** Queued calls of this thread waiting for their start, in submission order, from `head`. */
  private readonly waiters: PoolCall<S>[] = [];
  private head = 0;
  /** Sites with calls in flight. */
  private readonly active = new Set<S>();
  /** Stack reads of queued calls this second: bounded, whatever the pool does. */
  private queuedReads = 0;
  private queuedReadsSecond = 0;

  private readonly o: LedgerOptions<S>;

  constructor(options: LedgerOptions<S>) {
    this.o = options;
  }

  /** The episode going on, if any. */
  get current(): PoolEpisode<S> | null {
    return this.episode;
  }

  /** Calls in flight in the whole process, by the shared counts. */
  inflight(): number {
    const c = this.o.counters;
    return (Atomics.load(c, SUBMITTED) - Atomics.load(c, COMPLETED)) | 0;
  }

  /** A call is being made: `below` is the wrapper, for the site reader. */
  submit(api: ApiCalls<S>, composite: boolean, below: Function): PoolCall<S> {
    const { counters, poolSize, phase } = this.o;
    const seq = composite ? Atomics.load(counters, SUBMITTED) : Atomics.add(counters, SUBMITTED, 1);
    const inflight = (seq - Atomics.load(counters, COMPLETED)) | 0;
    const queued = phase.turned && !phase.exiting && inflight >= poolSize;
    const now = queued ? this.o.clock.now() : 0;
    if (queued && !this.episode) this.episode = this.newEpisode(now);
    const n = ++api.calls;
    let site: S | null;
    let estimated = false;
    if (isSampled(n, false) || (queued && this.mayReadQueued(this.episode!, now))) {
      const read = this.o.readSite(api.api, below);
      if (read) api.last = read;
      site = api.last;
    } else {
      site = api.last;
      estimated = true;
    }
    const call: PoolCall<S> = { site, estimated, composite, at: now, target: 0, active0: 0, episode: null, resolved: true, done: false };
    // Chains of short requests are not counted as filling the pool, so they are no submitters either.
    if (site && !composite) {
      if (site.inflight++ === 0) this.active.add(site);
      const e = this.episode;
      if (e) e.submitters.set(site, (e.submitters.get(site) ?? 0) + 1);
    }
    if (queued) {
      const e = this.episode!;
      e.queued = Math.max(e.queued, inflight - poolSize + 1);
      call.target = (seq - poolSize + 1) | 0;
      call.active0 = this.o.clock.loopActiveMs();
      call.episode = e;
      call.resolved = false;
      this.waiters.push(call);
    }
    return call;
  }

  /** The call completed (its callback is called, its promise settled). Once per call; more are ignored. */
  complete(call: PoolCall<S>): void {
    if (call.done) return;
    call.done = true;
    if (!call.composite) Atomics.add(this.o.counters, COMPLETED, 1);
    // The clock only while some call of this thread waits for the pool.
    const now = !call.resolved || this.head < this.waiters.length ? this.o.clock.now() : 0;
    const s = call.site;
    if (s && !call.composite && --s.inflight === 0) this.active.delete(s);
    if (!call.resolved) this.finish(call, now); // done before the count said it started: it waited this long at most
    this.resolveWaiters(now);
    const e = this.episode;
    if (e && this.head >= this.waiters.length && this.inflight() < this.o.poolSize) this.endEpisode(e);
  }

  /** A call that threw before reaching the pool: it is done, and it waited for nothing. */
  unsent(call: PoolCall<S>): void {
    call.resolved = true;
    this.complete(call);
  }

  /** At exit: the waits known so far, and the episode going on ends (written if it was). */
  flush(): void {
    const e = this.episode;
    if (!e) return;
    this.resolveWaiters(this.o.clock.now());
    this.endEpisode(e);
  }

  private newEpisode(now: number): PoolEpisode<S> {
    const e: PoolEpisode<S> = {
      id: `pool-${this.o.threadId}-${++this.episodes}`,
      time: this.o.clock.wallMs(),
      startedAt: now,
      queued: 0,
      worstMs: 0,
      worst: null,
      waited: 0,
      submitters: new Map(),
      reportedMs: 0,
      ended: false,
    };
    for (const s of this.active) e.submitters.set(s, s.inflight);
    return e;
  }

  private mayReadQueued(e: PoolEpisode<S>, now: number): boolean {
    if (e.queued >= QUEUED_SAMPLED) return false;
    const second = Math.floor(now / 1000);
    if (second !== this.queuedReadsSecond) {
      this.queuedReadsSecond = second;
      this.queuedReads = 0;
    }
    return ++this.queuedReads <= QUEUED_SAMPLED_PER_SECOND;
  }

  /** A queued call's start is known at `now`: its wait, less the loop's own busy time meanwhile. */
  private finish(call: PoolCall<S>, now: number): void {
    call.resolved = true;
    const e = call.episode;
    if (!e) return;
    const waitMs = now - call.at - Math.max(0, this.o.clock.loopActiveMs() - call.active0);
    const threshold = this.o.waitMs;
    if (waitMs <= e.worstMs) {
      if (waitMs >= threshold) e.waited++;
      return;
    }
    e.worstMs = waitMs;
    e.worst = call;
    if (waitMs < threshold) return;
    e.waited++;
    // The first wait over the threshold is written at once; a worse one when it doubles.
    if (e.reportedMs === 0 || waitMs >= 2 * e.reportedMs) this.report(e, true);
  }

  /** Resolves queued calls whose start has come (by the shared completion count). */
  private resolveWaiters(now: number): void {
    const completed = Atomics.load(this.o.counters, COMPLETED);
    const waiters = this.waiters;
    while (this.head < waiters.length) {
      const w = waiters[this.head]!;
      if (!w.resolved) {
        if (((completed - w.target) | 0) < 0) break;
        this.finish(w, now);
      }
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > waiters.length) {
      waiters.splice(0, this.head);
      this.head = 0;
    }
  }

  private endEpisode(e: PoolEpisode<S>): void {
    this.episode = null;
    e.ended = true;
    if (e.reportedMs > 0) this.report(e, false);
  }

  private report(e: PoolEpisode<S>, ongoing: boolean): void {
    if (!e.worst) return;
    if (e.reportedMs === 0) this.reported++;
    e.reportedMs = e.worstMs;
    this.o.report(e, ongoing);
  }
}

/** The sites that filled the pool in an episode, most calls first, at most `n`. */
export function topSubmitters<S extends PoolSite>(e: PoolEpisode<S>, n: number): [S, number][] {
  return [...e.submitters.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}
