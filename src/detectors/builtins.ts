// Wrapping functions on Node's builtin module objects, shared by the detectors that do it (sync-io,
// threadpool). A function replaced on the CJS object, followed by `module.syncBuiltinESMExports()`,
// is seen by ESM named, namespace and default imports and by CJS destructuring done after it.
// Loading `child_process`, `zlib`, `crypto` or `dns` costs 2-3.5 ms each, so a builtin is wrapped
// only once the app loads it: as Node finishes loading it, before `require()` or `import` hands it to
// the app (so before the app can destructure). Node notes each builtin it loads in
// `process.moduleLoadList`, and the agent observes that list: it is then on no stack of the app's, not
// on `require()`'s (a hook on the CJS loader was, and Node printed its line as the crash header of every
// error thrown while a module loaded) nor on a module's code. Where the list cannot be observed,
// loaded builtins are looked for at the first loop turn and then on a timer that backs off from 1 ms
// to a second, until all are in (a look costs one length check unless Node loaded something new).
import { syncBuiltinESMExports } from 'node:module';
import { noteWrappedMethod } from '../frames/hide.js';

/** Marks a wrapper of one detector (`tag`), so that a restarted agent never wraps its own wrapper. */
export function wrappedMark(tag: string): symbol {
  return Symbol.for(`asyncdebug.wrapped${tag ? `.${tag}` : ''}`);
}
const MARK_PREFIX = 'Symbol(asyncdebug.wrapped';

/** Whether `fn` is already a wrapper of this detector. */
export function isWrapped(fn: unknown, mark: symbol): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[mark] === true;
}

/**
 * Puts `wrapper` in place of `owner[key]` with the original's name, length and own properties (e.g.
 * `util.promisify.custom`, `realpath.native`), marked with `mark`. Returns how to undo it.
 */
export function replaceFunction(owner: Record<string, unknown>, key: string, original: Function, wrapper: Function, mark: symbol): () => void {
  for (const k of Reflect.ownKeys(original)) {
    if (k === 'prototype' || k === 'length' || k === 'name' || k === 'arguments' || k === 'caller') continue;
    if (typeof k === 'symbol' && String(k).startsWith(MARK_PREFIX)) continue; // another detector's mark
    const d = Reflect.getOwnPropertyDescriptor(original, k);
    if (d) Reflect.defineProperty(wrapper, k, d);
  }
  Object.defineProperty(wrapper, 'name', { value: original.name });
  Object.defineProperty(wrapper, 'length', { value: original.length });
  Object.defineProperty(wrapper, mark, { value: true });
  if (original.name === key) noteWrappedMethod(key);
  owner[key] = wrapper;
  return () => {
    if (owner[key] === wrapper) owner[key] = original;
  };
}

/** Builtins whose public module is a re-export of an internal one that `fs.promises` (…) loads. */
const LOADED_AS: Record<string, string> = { 'fs/promises': 'internal/fs/promises', 'dns/promises': 'internal/dns/promises' };

const loadList = (): string[] | undefined => (process as unknown as { moduleLoadList?: string[] }).moduleLoadList;

/** Whether Node has loaded the builtin already (the app imported it, or Node itself did). */
export function isBuiltinLoaded(name: string): boolean {
  const list = loadList();
  return !Array.isArray(list) || list.includes(`NativeModule ${LOADED_AS[name] ?? name}`);
}

/** Node's list of loaded internals only grows: a look with nothing new in it is one comparison. */
let seenLoads = -1;
function loadedSinceLastLook(): boolean {
  const list = loadList();
  if (!Array.isArray(list)) return true;
  if (list.length === seenLoads) return false;
  seenLoads = list.length;
  return true;
}

interface Watch {
  pending: Set<string>;
  onLoad: (name: string) => void;
}

const watches = new Set<Watch>();
/** Whether this thread's load list tells the watches about each builtin as it loads. */
let observing = false;
let lookAgain: NodeJS.Timeout | null = null;
let firstTurnAt = 0;
/** The next look's delay: doubles from 1 ms to a second (a timer every ms would run hot for nothing). */
let lookDelay = 1;
const MAX_LOOK_DELAY_MS = 1000;

/** Calls each watch's onLoad for the builtins now loaded (or `force`d); then syncs the ESM exports once. */
function wrapLoaded(force: string | null): void {
  let changed = false;
  for (const w of [...watches]) {
    for (const name of [...w.pending]) {
      if (name !== force && !isBuiltinLoaded(name)) continue;
      w.pending.delete(name);
      try {
        w.onLoad(name);
      } catch {
        // keep what is wrapped
      }
      changed = true;
    }
  }
  if (changed) syncBuiltinESMExports();
}

function anyPending(request: string | null): boolean {
  for (const w of watches) if (request === null ? w.pending.size > 0 : w.pending.has(request)) return true;
  return false;
}

/** A builtin's public name from its note in the load list (`NativeModule internal/fs/promises`). */
const PUBLIC_NAME: Record<string, string> = Object.fromEntries(Object.entries(LOADED_AS).map(([name, internal]) => [internal, name]));
const NOTE = 'NativeModule ';
/** Marks the list observed, whichever copy of the agent's code did it (one list per thread). */
const OBSERVED = Symbol.for('asyncdebug.loadObserver');

function noted(note: unknown): void {
  if (typeof note !== 'string' || !note.startsWith(NOTE)) return;
  const internal = note.slice(NOTE.length);
  const name = PUBLIC_NAME[internal] ?? internal;
  if (!anyPending(name)) return;
  try {
    wrapLoaded(name);
  } catch {
    // never into Node's loader
  }
}

/**
 * Makes this thread's load list tell the watches about each builtin as Node finishes loading it (after
 * its code ran, before the loader returns it). Node appends with Array.prototype.push, which sets the new
 * index through the prototype chain when the array has no such index: a Proxy over Array.prototype put
 * in between sees it, and puts the note on the list as push would. False where that cannot be done.
 */
function observeLoads(): boolean {
  const list = loadList() as (string[] & { [OBSERVED]?: true }) | undefined;
  if (!Array.isArray(list)) return false;
  if (list[OBSERVED]) return true;
  const observer = new Proxy(Object.getPrototypeOf(list) as object, {
    set(target, key, value, receiver) {
      if (receiver !== list || typeof key !== 'string') return Reflect.set(target, key, value, receiver);
      Object.defineProperty(list, key, { value, writable: true, enumerable: true, configurable: true });
      noted(value);
      return true;
    },
  });
  try {
    Object.setPrototypeOf(list, observer);
    Object.defineProperty(list, OBSERVED, { value: true });
    return true;
  } catch {
    return false;
  }
}

function wrapNewlyLoaded(): void {
  lookAgain = null;
  try {
    if (loadedSinceLastLook()) wrapLoaded(null);
  } catch {
    // keep what is wrapped
  }
  if (!anyPending(null)) return;
  lookAgain = setTimeout(wrapNewlyLoaded, lookDelay);
  lookDelay = Math.min(lookDelay * 2, MAX_LOOK_DELAY_MS);
  lookAgain.unref();
}

/** The app's first loop turn: where the load list is not observed, look for builtins loaded since. */
export function beginLookingForImports(): void {
  if (observing) return;
  if (firstTurnAt) {
    if (!lookAgain) wrapNewlyLoaded();
    return;
  }
  firstTurnAt = Date.now();
  wrapNewlyLoaded();
}

export interface BuiltinWatch {
  stop(): void;
}

/**
 * Calls `onLoad(name)` once for each builtin in `names`, once the app has it: at once for those loaded
 * (and for `now`), and for the others as Node finishes loading them (or, where that cannot be observed,
 * from the first loop turn on: the caller says when, with `beginLookingForImports`).
 */
export function whenBuiltinsLoad(names: readonly string[], onLoad: (name: string) => void, now: readonly string[] = []): BuiltinWatch {
  const w: Watch = { pending: new Set(names), onLoad };
  watches.add(w);
  observing ||= observeLoads();
  let changed = false;
  for (const n of now) {
    if (!w.pending.has(n)) continue;
    w.pending.delete(n);
    onLoad(n);
    changed = true;
  }
  if (changed) syncBuiltinESMExports();
  wrapLoaded(null);
  if (!observing && firstTurnAt && !lookAgain && w.pending.size > 0) wrapNewlyLoaded();
  return {
    stop() {
      watches.delete(w);
      if (watches.size === 0 && lookAgain) {
        clearTimeout(lookAgain);
        lookAgain = null;
      }
    },
  };
}
