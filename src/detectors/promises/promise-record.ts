// What the promise tracker (tracker.ts) keeps of a root promise, and how it reads one from the stack of
// the hook that saw it made: who made it, where, and whether it can become a finding. Pure: it is
// given the raw frames (innermost first) and the clock.
import { fileURLToPath } from 'node:url';
import { isAgentFile } from '../../frames/agent-files.js';
import { isAppFrame, type RawFrame } from '../../frames/frames.js';
import { now as wallNow } from '../../original.js';

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
  /** Still of interest at exit (in the tracker's `watched`). */
  watched: boolean;
  /** What the promises derived from this one point to. */
  link: ChainLink | null;
}

/** A promise derived from a recorded root; one per root, shared by its whole chain. */
export class ChainLink {
  constructor(readonly root: PromiseRecord) {}
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

/**
 * The stack a hook read (`raw`, from just above the hook), as the app's code made it: past Node's hook
 * dispatcher and the agent's own frames, at most `depth` frames.
 */
export function belowHook(raw: RawFrame[], depth: number): RawFrame[] {
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

/** The record of a root promise made with this stack (belowHook's); null when no finding could name
 *  an app site. */
export function recordRoot(raw: RawFrame[], now: () => number = wallNow): PromiseRecord | null {
  const top = raw[0];
  if (!top) return null;
  let creator: Creator;
  let name: string;
  let candidate = false;
  const frames = raw.slice(1);
  if (!top.file) {
    // A builtin made it: the Promise constructor (the function running `new Promise` is next), or
    // Promise.resolve/all/race/... (never a candidate: `Promise.all([...])` alone is rare and harmless).
    if (top.function === 'Promise') {
      creator = 'new';
      name = frames[0]?.function ?? '';
      candidate = Boolean(frames[0]?.file.startsWith('node:')) && isAppRaw(frames[1]);
    } else {
      creator = 'builtin';
      name = PROMISE_STATICS.has(top.function) ? `Promise.${top.function}` : top.function;
    }
  } else {
    // An async function's promise is made as the function starts: its frame is on top, its caller next.
    creator = 'async';
    name = top.function;
    // A `main()` at a module's top level is a script's entry point, like an async IIFE: not a finding.
    candidate = isAppRaw(frames[0]) && !(isAppRaw(top) && isModuleTopLevel(frames, 0));
  }
  // Made by Node or a library with no app frame in sight: no finding could ever name an app site.
  if (!frames.some(isAppRaw)) return null;
  // An async generator's next() is pending only while its body awaits something else, like an async
  // function's promise: that something is the leaf.
  const appMade =
    creator === 'new'
      ? isAppRaw(frames[0]) || isAppRaw(frames[1])
      : creator === 'builtin' && !GENERATOR_METHODS.has(top.function) && isAppRaw(frames[0]);
  return {
    creator,
    name,
    raw: frames,
    time: now(),
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
}

/**
 * Whether the consumer whose stack this is (belowHook's) waits for the promise. Inside a combinator
 * (Promise.all/race/any/allSettled calling then) the consumer is the combinator, not code waiting for
 * this promise; the combinator's own promise is recorded.
 */
export function waitsFor(consumer: RawFrame[]): boolean {
  const [a, b] = consumer;
  return !(a !== undefined && !a.file && b !== undefined && !b.file);
}

/** Still of interest: may still be unawaited, or pending and not made by an async function. */
export function stillOfInterest(r: PromiseRecord): boolean {
  return (r.candidate && !r.consumed) || (r.appMade && !r.settled);
}
