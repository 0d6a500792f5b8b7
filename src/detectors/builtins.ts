// Wrapping functions on Node's builtin module objects, shared by the detectors that do it (sync-io,
// threadpool). A function replaced on the CJS object, followed by `module.syncBuiltinESMExports()`,
// is seen by ESM named, namespace and default imports and by CJS destructuring done after it.
// Loading `child_process`, `zlib`, `crypto` or `dns` costs 2-3.5 ms each, so a builtin is wrapped
// only once the app loads it, at the moment Node loads it, by whatever loader: Node records each
// builtin it loads in `process.moduleLoadList` (pushed once the module's code has run, before an ESM
// import makes its facade or a require returns), and the agent sees those pushes through the list's
// prototype. So `const hash = promisify(pbkdf2)` at the top of an ES module captures the wrapper.
// Where the list cannot be watched: right after the builtin's first `require()` (a hook on the CJS
// loader), and for ESM imports at the first loop turn and then on a timer that backs off from 1 ms to
// a second, until all are in (a function captured before then is not seen).
import Module, { syncBuiltinESMExports } from 'node:module';
import { hideAgentFrames, raiseStackLimit, restoreStackLimit } from '../frames/hide.js';
import { now, realClearTimeout, realSetTimeout } from '../original.js';

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
let hooked: { load: Function } | null = null;
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
      // (an onLoad may load another builtin, whose push wraps it first)
      if (!w.pending.has(name) || (name !== force && !isBuiltinLoaded(name))) continue;
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

// Node's CJS loader: one hook per thread, shared by the detectors; it also counts the loader's depth.
function hookLoader(): void {
  if (hooked) return;
  const statics = Module as unknown as { _load: Function };
  const load = statics._load;
  hooked = { load };
  // The loader is an anonymous function. V8 11 (Node 20) names its frame by the name inferred from its
  // definition; V8 12+ (Node 22+) by the property that holds it, which is now the hook. A name of its
  // own keeps the app's stacks as they were there.
  if (!load.name && Number(process.versions.v8.split('.')[0]) >= 12) {
    try {
      Object.defineProperty(load, 'name', { value: '_load', configurable: true });
    } catch {
      // a frame named `<anonymous>`: cosmetic
    }
  }
  // It is a frame in the app's require stacks: errors thrown through it lose that line (and the stack-
  // trace limit is one more while it runs, so they keep as many frames of the app's), and it is removed
  // as soon as no builtin is pending (the loader's own reads are then told by the module cache).
  const hook = function (this: unknown, ...args: unknown[]) {
    const limit = raiseStackLimit(1);
    try {
      return Reflect.apply(load, this, args);
    } catch (err) {
      hideAgentFrames(err);
      throw err;
    } finally {
      restoreStackLimit(limit, 1);
      const request = typeof args[0] === 'string' ? args[0].replace(/^node:/, '') : '';
      if (anyPending(request)) {
        try {
          wrapLoaded(request);
        } catch {
          // never into the app's require
        }
      }
      if (!anyPending(null) && statics._load === hook) {
        statics._load = load;
        hooked = null;
      }
    }
  };
  statics._load = hook;
}

/** The builtin a `NativeModule <id>` entry of Node's load list stands for, as the watches name it. */
const PUBLIC_NAME: Record<string, string> = Object.fromEntries(Object.entries(LOADED_AS).map(([name, id]) => [id, name]));

/** Node's load list while the agent watches its pushes (its prototype is then `proto`). */
let observed: { list: unknown[]; proto: object } | null = null;

function isIndex(key: string | symbol): key is string {
  return typeof key === 'string' && key !== '' && key.length < 10 && /^\d+$/.test(key);
}

/** A builtin Node has just loaded (its code has run; no importer has its exports yet). */
function builtinLoaded(id: string): void {
  const name = PUBLIC_NAME[id] ?? id;
  if (!anyPending(name)) return;
  try {
    wrapLoaded(name);
  } catch {
    // never into Node's loader
  }
  if (!anyPending(null)) unobserveLoads();
}

/**
 * Watches Node's pushes onto its load list: the list's prototype becomes a Proxy (over an object whose
 * prototype is Array.prototype, so the list is still an array to everyone) whose set trap sees an
 * element pushed past the end, stores it as the push would, and tells which builtin loaded. False
 * when the list is not there to watch (then the loader hook and the looks stand in).
 */
function observeLoads(): boolean {
  if (observed) return true;
  const list = loadList();
  if (!Array.isArray(list) || Object.getPrototypeOf(list) !== Array.prototype || !Object.isExtensible(list)) return false;
  const proto = new Proxy(Object.create(Array.prototype) as object, {
    set(target, key, value, receiver) {
      if (receiver !== list || !isIndex(key)) return Reflect.set(target, key, value, receiver);
      Object.defineProperty(receiver, key, { value, writable: true, enumerable: true, configurable: true });
      if (typeof value === 'string' && value.startsWith('NativeModule ')) builtinLoaded(value.slice('NativeModule '.length));
      return true;
    },
  });
  try {
    Object.setPrototypeOf(list, proto);
  } catch {
    return false;
  }
  observed = { list, proto };
  return true;
}

function unobserveLoads(): void {
  if (!observed) return;
  try {
    if (Object.getPrototypeOf(observed.list) === observed.proto) Object.setPrototypeOf(observed.list, Array.prototype);
  } catch {
    // a list the app froze meanwhile: its pushes keep being seen, and do nothing
  }
  observed = null;
}

function unhookLoader(): void {
  const statics = Module as unknown as { _load: Function };
  if (watches.size === 0 || !anyPending(null)) {
    if (lookAgain) realClearTimeout(lookAgain);
    lookAgain = null;
    if (hooked && statics._load !== hooked.load) statics._load = hooked.load;
    hooked = null;
    unobserveLoads();
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
  lookAgain = realSetTimeout(wrapNewlyLoaded, lookDelay);
  lookDelay = Math.min(lookDelay * 2, MAX_LOOK_DELAY_MS);
  lookAgain.unref();
}

/** The app's first loop turn: from now on look for builtins the app's ESM imports loaded (when the load list is not watched). */
export function beginLookingForImports(): void {
  if (observed) {
    firstTurnAt ||= now();
    return;
  }
  if (firstTurnAt) {
    if (!lookAgain) wrapNewlyLoaded();
    return;
  }
  firstTurnAt = now();
  wrapNewlyLoaded();
}

export interface BuiltinWatch {
  stop(): void;
}

/**
 * Calls `onLoad(name)` once for each builtin in `names`, once the app has it: at once for those loaded
 * (and for `now`), and for the others when Node loads them (where the load list cannot be watched:
 * right after the first `require()`, and for ESM imports from the first loop turn on: the caller says
 * when, `beginLookingForImports`).
 */
export function whenBuiltinsLoad(names: readonly string[], onLoad: (name: string) => void, now: readonly string[] = []): BuiltinWatch {
  const w: Watch = { pending: new Set(names), onLoad };
  watches.add(w);
  if (!observeLoads()) hookLoader();
  let changed = false;
  for (const n of now) {
    if (!w.pending.has(n)) continue;
    w.pending.delete(n);
    onLoad(n);
    changed = true;
  }
  if (changed) syncBuiltinESMExports();
  wrapLoaded(null);
  if (firstTurnAt && !observed && !lookAgain && w.pending.size > 0) wrapNewlyLoaded();
  if (!anyPending(null)) unhookLoader();
  return {
    stop() {
      watches.delete(w);
      unhookLoader();
    },
  };
}
