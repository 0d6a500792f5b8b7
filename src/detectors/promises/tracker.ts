// Watches promises with V8's promise hooks (`v8.promiseHooks`: no async_hooks, no async ids), and keeps
// a small record (promise-record.ts) for a sample of the promises nobody derived from (roots: an async
// function's promise, `new Promise`, `Promise.resolve/all/race...`): where it was created, whether
// anything consumed it (await, then/catch/finally, a combinator, adoption by another promise: each
// creates a child promise whose parent is this one), and whether it settled.
//
// Cost: every promise costs one hook call and one or two WeakMap lookups. A record costs a stack capture
// (bounded depth, ~1-2 us, up to ~20 us with deep stacks), so only the first ROOTS_PER_WINDOW roots of each
// WINDOW_MS get one, then one root in SAMPLE_EVERY: a hot loop's sites are still seen, a burst of
// thousands of promises in one turn costs that turn a few ms at most, and memory stays bounded.
import { builtin } from '../../lazy-builtin.js';
import { captureOwnStack } from '../../frames/capture.js';
import type { RawFrame } from '../../frames/frames.js';
import { ChainLink, belowHook, recordRoot, stillOfInterest, waitsFor, type PromiseRecord } from './promise-record.js';
import { now as wallNow } from '../../original.js';



const ROOTS_PER_WINDOW = 200;
const WINDOW_MS = 100;
const SAMPLE_EVERY = 1024;
const CREATION_DEPTH = 10;
const CONSUMER_DEPTH = 6;
/** A promise raced again and again (a shared "closed" promise) is looked at this many times at most. */
const CONSUMER_CAPTURES = 3;

export interface Tracker {
  /** The promise's record, or that of the root its then chain started from (`derived`). */
  recordOf(promise: Promise<unknown>): { record: PromiseRecord; derived: boolean } | undefined;
  /** Records that may still become findings (unawaited, or pending and not made by an async function). */
  watched(): Iterable<PromiseRecord>;
  stop(): void;
}

/**
 * Which roots get a record: all of the first ROOTS_PER_WINDOW of a window, then one in SAMPLE_EVERY.
 * No timer of its own (a timer list of the agent's would change when the app's microtasks run): the
 * window is renewed by the sampled roots once the budget is spent.
 */
export class RootSampler {
  private roots = 0;
  private windowStart: number;
  private readonly now: () => number;

  constructor(now: () => number = wallNow) {
    this.now = now;
    this.windowStart = now();
  }

  take(): boolean {
    if (++this.roots <= ROOTS_PER_WINDOW) return true;
    if (this.roots % SAMPLE_EVERY !== 0) return false;
    const now = this.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.roots = 0;
    }
    return true;
  }
}

function stackBelowHook(hook: Function, depth: number): RawFrame[] {
  return belowHook(captureOwnStack(hook, depth + 3), depth);
}

/** The records that may still become findings; one whose promise is collected first goes to `onCollected`. */
function watchList(onCollected: (r: PromiseRecord) => void) {
  const records = new Set<PromiseRecord>();
  const registry = new FinalizationRegistry<PromiseRecord>((r) => {
    if (!r.watched) return;
    r.watched = false;
    records.delete(r);
    try {
      onCollected(r);
    } catch {
      // never into the app
    }
  });
  return {
    records,
    add(promise: Promise<unknown>, r: PromiseRecord): void {
      r.watched = true;
      records.add(r);
      registry.register(promise, r, r);
    },
    dropIfDone(r: PromiseRecord): void {
      if (r.watched && !stillOfInterest(r)) {
        r.watched = false;
        records.delete(r);
        registry.unregister(r);
      }
    },
  };
}

export function startTracker(onCollected: (r: PromiseRecord) => void): Tracker {
  /**
   * Records of the sampled roots, and for the promises derived from them (then chains) a link to the
   * root, so that a rejection of one is traced to where the chain started. One map: a promise the
   * detector knows nothing of, the common case, costs one lookup. Weak: nothing here keeps a promise alive.
   */
  const known = new WeakMap<object, PromiseRecord | ChainLink>();
  const watching = watchList(onCollected);
  const sampler = new RootSampler();
  /** Recording: the promises the agent itself makes meanwhile are not the app's. */
  let busy = false;

  function track(promise: Promise<unknown>): void {
    const r = recordRoot(stackBelowHook(init, CREATION_DEPTH));
    if (!r) return;
    known.set(promise, r);
    if (stillOfInterest(r)) watching.add(promise, r);
  }

  function consumed(r: PromiseRecord): void {
    r.consumed = true;
    if (r.appMade && !r.awaited && r.consumerCaptures < CONSUMER_CAPTURES) {
      r.consumerCaptures++;
      const c = stackBelowHook(init, CONSUMER_DEPTH);
      if (waitsFor(c)) {
        r.awaited = true;
        r.awaitedBy = c;
      }
    }
    watching.dropIfDone(r);
  }

  /** A child promise: its parent, if known, is consumed, and the child joins the parent's chain. */
  function derived(promise: Promise<unknown>, parent: Promise<unknown>): void {
    const k = known.get(parent);
    if (k === undefined) return;
    if (k instanceof ChainLink) {
      known.set(promise, k);
      return;
    }
    if (busy) return;
    busy = true;
    try {
      consumed(k);
      known.set(promise, (k.link ??= new ChainLink(k)));
    } catch {
      // never into the app
    } finally {
      busy = false;
    }
  }

  function init(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
    if (parent !== undefined) return derived(promise, parent);
    if (!sampler.take()) return;
    if (busy) return; // a promise the agent itself made while recording
    busy = true;
    try {
      track(promise);
    } catch {
      // never into the app
    } finally {
      busy = false;
    }
  }

  function settled(promise: Promise<unknown>): void {
    const r = known.get(promise);
    if (r === undefined || r instanceof ChainLink) return;
    r.settled = true;
    watching.dropIfDone(r);
  }

  // node:v8 is loaded here (debug mode only): loading it costs a ms of every thread's start-up.
  const { promiseHooks } = builtin<typeof import('node:v8')>('v8');
  const stopHooks = promiseHooks.createHook({ init, settled });

  return {
    recordOf(p) {
      const k = known.get(p);
      if (k === undefined) return undefined;
      return k instanceof ChainLink ? { record: k.root, derived: true } : { record: k, derived: false };
    },
    watched: () => watching.records,
    stop() {
      stopHooks();
    },
  };
}
