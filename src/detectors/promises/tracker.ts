// Watches promises with V8's promise hooks (`v8.promiseHooks`: no async_hooks, no async ids), and keeps
// a small record for a sample of the promises nobody derived from (roots: an async function's promise,
// `new Promise`, `Promise.resolve/all/race...`): where it was created, whether anything consumed it
// (await, then/catch/finally, a combinator, adoption by another promise: each creates a child promise
// whose parent is this one), and whether it settled.
//
// Cost: every promise costs one hook call and one or two WeakMap lookups. A record costs a stack capture
// (bounded depth, ~1-2 us), so only the first ROOTS_PER_SECOND roots of each second get one, then one root
// in SAMPLE_EVERY: a hot loop's sites are still seen, and a burst cannot grow memory without bound.
import { fileURLToPath } from 'node:url';
import { builtin } from '../../lazy-builtin.js';
import { captureOwnStack } from '../../frames/capture.js';
import { isAgentFile } from '../../frames/agent-files.js';
import { isAppFrame, type RawFrame } from '../../frames/frames.js';

const ROOTS_PER_SECOND = 2000;
const SAMPLE_EVERY = 1024;
const CREATION_DEPTH = 10;
const CONSUMER_DEPTH = 6;
/** A promise raced again and again (a shared "closed" promise) is looked at this many times at most. */
const CONSUMER_CAPTURES = 3;

/** Who made the promise: an async function, `new Promise`, or another builtin (Promise.all, resolve, ...). */
export type Creator = 'async' | 'new' | 'builtin';

export interface PromiseRecord {
  creator: Creator;
  /** The async function, the function that ran `new Promise`, or the builtin (`Promise.all`). */
  name: string;
  /** Creation stack without the async function's own frame: from where it was called, innermost first. */
  raw: RawFrame[];
  time: number;
  /**
   * The promise went straight back to application code that did not await it yet: an async function
   * or a Node API (`fs.promises.*`, `timers/promises`, `events.once`, ...) called by the app. Only such
   * promises can be `unawaited`: a promise made by `new Promise` in the app or a library may be a
   * deferred kept on purpose, and one a library or Node made for itself is not the app's to await.
   */
  candidate: boolean;
  consumed: boolean;
  /** Consumed by code waiting for it (await, then/catch/finally, adoption), not only by a combinator. */
  awaited: boolean;
  /**
   * The app made it, or called the function (Node's, a library's) that made it: `new Promise` in app
   * code or in a function the app called, `Promise.all(...)` in app code. Only such a promise can be
   * `never-settled`: Node and libraries keep deferreds of their own that may stay pending for good.
   */
  appMade: boolean;
  /** Where it was first awaited: the suspended function's frame first. */
  awaitedBy: RawFrame[] | null;
  consumerCaptures: number;
  settled: boolean;
  /** Node reported it as an unhandled rejection. */
  rejected: boolean;
  /** Still of interest at exit (in `watched`). */
  watched: boolean;
  /** What the promises derived from this one point to. */
  link: ChainLink | null;
}

/** A promise derived from a recorded root; one per root, shared by its whole chain. */
class ChainLink {
  constructor(readonly root: PromiseRecord) {}
}

export interface Tracker {
  /** The promise's record, or that of the root its then chain started from (`derived`). */
  recordOf(promise: Promise<unknown>): { record: PromiseRecord; derived: boolean } | undefined;
  /** Records that may still become findings (unawaited, or pending and not made by an async function). */
  watched(): Iterable<PromiseRecord>;
  stop(): void;
}

function toPath(file: string): string {
  if (!file.startsWith('file:')) return file;
  try {
    return fileURLToPath(file);
  } catch {
    return file;
  }
}

/** Per file: the same few files come back in every capture, and a file: URL costs a parse. */
const appFiles = new Map<string, boolean>();

export function isAppRaw(frame: RawFrame | undefined): boolean {
  if (!frame || !frame.file) return false;
  let app = appFiles.get(frame.file);
  if (app === undefined) {
    app = isAppFrame({ file: toPath(frame.file), line: frame.line, column: frame.column, function: frame.function });
    if (appFiles.size < 10_000) appFiles.set(frame.file, app);
  }
  return app;
}

/** Top-level code of a module: no function name, and Node's module loader (or nothing) below it. */
export function isModuleTopLevel(frames: RawFrame[], index: number): boolean {
  const f = frames[index];
  if (!f || (f.function && f.function !== '<anonymous>')) return false;
  const below = frames[index + 1];
  return !below || below.file.startsWith('node:internal/modules/');
}

const GENERATOR_METHODS = new Set(['next', 'return', 'throw']);
const PROMISE_STATICS = new Set(['all', 'allSettled', 'any', 'race', 'resolve', 'reject', 'withResolvers', 'try']);

/** Node calls every hook through its own dispatcher once more than one is installed (async_hooks, ALS). */
const DISPATCHER = 'node:internal/promise_hooks';

/** The agent's own wrappers (a pool wrapper around `fs.promises.writeFile` …) are not on the app's way. */
const isAgentRaw = (frame: RawFrame): boolean => isAgentFile(frame.file);

function stackBelowHook(hook: Function, depth: number): RawFrame[] {
  const raw = captureOwnStack(hook, depth + 3);
  let skip = 0;
  while (raw[skip]?.file === DISPATCHER) skip++;
  // A promise made by an agent wrapper in place of a Node API's (the pool detector's async wrapper of
  // `fs.promises.writeFile`): to the app it is that API's promise, made by a Node function of its name.
  let lead = skip;
  while (raw[lead] && isAgentRaw(raw[lead] as RawFrame)) lead++;
  const rest = raw.slice(lead).filter((f) => !isAgentRaw(f));
  if (lead === skip) return rest.slice(0, depth);
  const api = raw[lead - 1] as RawFrame;
  return [{ function: api.function, file: 'node:internal/asyncdebug-wrapped', line: 0, column: 0 }, ...rest].slice(0, depth);
}

export function startTracker(onCollected: (r: PromiseRecord) => void): Tracker {
  /**
   * Records of the sampled roots, and for the promises derived from them (then chains) a link to the
   * root, so that a rejection of one is traced to where the chain started. One map: a promise the
   * detector knows nothing of, the common case, costs one lookup. Weak: nothing here keeps a promise alive.
   */
  const known = new WeakMap<object, PromiseRecord | ChainLink>();
  const watched = new Set<PromiseRecord>();
  const registry = new FinalizationRegistry<PromiseRecord>((r) => {
    if (!r.watched) return;
    r.watched = false;
    watched.delete(r);
    try {
      onCollected(r);
    } catch {
      // never into the app
    }
  });
  let roots = 0;
  let windowStart = Date.now();
  let busy = false;

  const stillOfInterest = (r: PromiseRecord) => (r.candidate && !r.consumed) || (r.appMade && !r.settled);

  function unwatchIfDone(r: PromiseRecord): void {
    if (r.watched && !stillOfInterest(r)) {
      r.watched = false;
      watched.delete(r);
      registry.unregister(r);
    }
  }

  function track(promise: Promise<unknown>): void {
    const raw = stackBelowHook(init, CREATION_DEPTH);
    const top = raw[0];
    if (!top) return;
    let creator: Creator;
    let name: string;
    let candidate = false;
    let frames: RawFrame[];
    if (!top.file) {
      // A builtin made it: the Promise constructor (the function running `new Promise` is next), or
      // Promise.resolve/all/race/... (never a candidate: `Promise.all([...])` alone is rare and harmless).
      if (top.function === 'Promise') {
        creator = 'new';
        frames = raw.slice(1);
        name = frames[0]?.function ?? '';
        candidate = Boolean(frames[0]?.file.startsWith('node:')) && isAppRaw(frames[1]);
      } else {
        creator = 'builtin';
        frames = raw.slice(1);
        name = PROMISE_STATICS.has(top.function) ? `Promise.${top.function}` : top.function;
      }
    } else {
      // An async function's promise is made as the function starts: its frame is on top, its caller next.
      creator = 'async';
      name = top.function;
      frames = raw.slice(1);
      // A `main()` at a module's top level is a script's entry point, like an async IIFE: not a finding.
      candidate = isAppRaw(frames[0]) && !(isAppRaw(top) && isModuleTopLevel(frames, 0));
    }
    // Made by Node or a library with no app frame in sight: no finding could ever name an app site.
    if (!frames.some(isAppRaw)) return;
    // An async generator's next() is pending only while its body awaits something else, like an async
    // function's promise: that something is the leaf.
    const appMade =
      creator === 'new'
        ? isAppRaw(frames[0]) || isAppRaw(frames[1])
        : creator === 'builtin' && !GENERATOR_METHODS.has(top.function) && isAppRaw(frames[0]);
    const r: PromiseRecord = {
      creator,
      name,
      raw: frames,
      time: Date.now(),
      candidate,
      appMade,
      consumed: false,
      awaited: false,
      awaitedBy: null,
      consumerCaptures: 0,
      settled: false,
      rejected: false,
      watched: false,
      link: null,
    };
    known.set(promise, r);
    if (stillOfInterest(r)) {
      r.watched = true;
      watched.add(r);
      registry.register(promise, r, r);
    }
  }

  function consumed(r: PromiseRecord): void {
    r.consumed = true;
    if (r.appMade && !r.awaited && r.consumerCaptures < CONSUMER_CAPTURES) {
      r.consumerCaptures++;
      const c = stackBelowHook(init, CONSUMER_DEPTH);
      // Inside a combinator (Promise.all/race/any/allSettled calling then) the consumer is the
      // combinator, not code waiting for this promise; the combinator's own promise is recorded.
      const inCombinator = c[0] !== undefined && !c[0].file && c[1] !== undefined && !c[1].file;
      if (!inCombinator) {
        r.awaited = true;
        r.awaitedBy = c;
      }
    }
    unwatchIfDone(r);
  }

  function init(promise: Promise<unknown>, parent: Promise<unknown> | undefined): void {
    if (parent !== undefined) {
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
      return;
    }
    if (++roots > ROOTS_PER_SECOND) {
      if (roots % SAMPLE_EVERY !== 0) return;
      // No timer of its own (a timer list of the agent's would change when the app's microtasks run):
      // the window is renewed by the sampled roots once the budget is spent.
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        roots = 0;
      }
    }
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
    unwatchIfDone(r);
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
    watched: () => watched,
    stop() {
      stopHooks();
    },
  };
}
