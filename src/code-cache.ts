// Loads one of the agent's own CommonJS bundles (dist/agent/thread-agent.cjs, dist/watchdog/worker.cjs)
// through a V8 code cache, so that a process's start does not compile again what the last one compiled
// (issue 22: every process of a test suite paid ~35 M instructions of parsing and compiling the agent).
//
// Only the agent's files: not `module.enableCompileCache()`, which turns Node's cache on for the whole
// process (the app's modules would be cached too, `module.getCompileCacheDir()` would answer the app with
// our directory, and an app's own enableCompileCache() call would find it already on). Here the bundle is
// compiled with `vm.Script` and its `cachedData`, run as Node runs a CommonJS module, and put into the
// require cache under its file name (so every entry still finds one instance per thread).
//
// The cache lives in this user's cache directory (`$XDG_CACHE_HOME/asyncdebug` or
// `~/.cache/asyncdebug`), never in the app's tree nor in a shared temp directory: it is checked before
// every use (a real directory, owned by this user, mode 700) and a file is written new (O_EXCL,
// O_NOFOLLOW) then renamed into place. A file is named after the bundle (its size and mtime), Node's
// version and arch, and the V8 flags; V8 checks its own version, flags and the source's length as well,
// and a cache it rejects is compiled as if there were none and written again. With no usable cache, the
// bundle is compiled as usual and its cache written when the thread exits (once the functions the run
// used were compiled, the exit's own included). `ASYNC_DEBUG_CODE_CACHE=0` turns it off.
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from './original.js';
import { createNewFile, ensurePrivateDir } from './private-files.js';
import { builtin } from './lazy-builtin.js';
// node:vm, node:os and node:worker_threads load only when a bundle does (this file is in every entry:
// with ASYNC_DEBUG=0, loading node:worker_threads alone cost ~45 M instructions).
type Vm = typeof import('node:vm');

/** A cache file larger than this is not read (the agent's is ~200 kB). */
const MAX_CACHE_BYTES = 16 * 1024 * 1024;

/** What loading a bundle left to do: write its code cache (when there was none, or V8 rejected it). */
export interface LoadedBundle {
  exports: unknown;
  /** Writes the cache; never throws. Null when there is nothing to write. */
  save: (() => void) | null;
}

interface NodeModuleClass {
  new (id: string, parent?: unknown): NodeModule;
  _nodeModulePaths(dir: string): string[];
}
interface NodeModule {
  exports: unknown;
  filename: string;
  paths: string[];
  loaded: boolean;
}

const requireHere = createRequire(import.meta.url);

/** The name the bundle's code reads its import() from (reporters/load-reporters.ts), and that import(). */
const HOST_IMPORT = '__asyncdebug_import';
const hostImport = (url: string): Promise<unknown> => import(url);

/** Whether the cache is on: `ASYNC_DEBUG_CODE_CACHE` is not a "no" value. */
export function codeCacheOn(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.ASYNC_DEBUG_CODE_CACHE ?? '').trim().toLowerCase();
  return !(v === '0' || v === 'false' || v === 'off');
}

/** This user's cache directory for the agent, made if missing and checked private; null when there is none fit. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    const xdg = env.XDG_CACHE_HOME;
    // An absolute HOME is what os.homedir() answers (libuv reads HOME first): node:os is loaded only
    // without one (it cost every thread of the app ~0.5 M instructions, for this one call).
    const home = env.HOME !== undefined && isAbsolute(env.HOME) ? env.HOME : builtin<typeof import('node:os')>('os').homedir();
    const base = xdg && isAbsolute(xdg) ? xdg : join(home, '.cache');
    if (!isAbsolute(base)) return null;
    const dir = join(base, 'asyncdebug');
    return ensurePrivateDir(dir) === null ? dir : null;
  } catch {
    return null;
  }
}

/** A short, stable hash of a string (FNV-1a, 32 bits), for file names. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/** The cache file's name: the bundle as it is on disk, the Node that compiled it, the V8 flags it ran with. */
function cacheName(file: string, size: number, mtimeMs: number, execArgv: readonly string[]): string {
  const flags = `${execArgv.join(' ')}|${process.env.NODE_OPTIONS ?? ''}`;
  return `${basename(file)}-${process.version}-${process.arch}-${size}-${Math.floor(mtimeMs)}-${hash(flags)}.v8cache`;
}

function readCache(path: string): Buffer | undefined {
  try {
    const data = readFileSync(path);
    return data.length > 0 && data.length <= MAX_CACHE_BYTES ? data : undefined;
  } catch {
    return undefined;
  }
}

/** How old a cache file of the agent's is when a write removes it (a bundle or a Node no longer run). */
const STALE_MS = 30 * 24 * 3600 * 1000;

/**
 * At most this many cache files are kept (~170 KB each): each build of the agent, Node version and set
 * of flags has its own, and a developer who rebuilds often would otherwise pile them up for 30 days.
 */
const MAX_FILES = 24;

/**
 * A temp file of writeCache's this old is one whose writer was killed before its rename (a test runner
 * ending a process on a timeout): no write takes this long, so it is nobody's any more.
 */
const ORPHAN_TEMP_MS = 3600 * 1000;

/** writeCache's temp file for the cache file `path`: private to this thread, beside it. */
function tempPath(path: string, threadId: number): string {
  return `${path}.${process.pid}-${threadId}.tmp`;
}

/** The names tempPath gives a cache file's temp files. */
const TEMP_NAME = /\.v8cache\.\d+-\d+\.tmp$/;

/**
 * Removes the cache files nobody wrote for STALE_MS, the oldest beyond MAX_FILES, and temp files their
 * writer left (each write checks; the directory holds a few files).
 */
function removeStale(dir: string): void {
  try {
    const now = Date.now();
    const old = now - STALE_MS;
    const kept: { path: string; at: number }[] = [];
    for (const name of readdirSync(dir)) {
      const temp = TEMP_NAME.test(name);
      if (!temp && !name.endsWith('.v8cache')) continue;
      const path = join(dir, name);
      const at = lstatSync(path).mtimeMs;
      if (at < (temp ? now - ORPHAN_TEMP_MS : old)) unlinkSync(path);
      else if (!temp) kept.push({ path, at });
    }
    kept.sort((x, y) => y.at - x.at);
    for (const { path } of kept.slice(MAX_FILES)) unlinkSync(path);
  } catch {
    // left for the next write
  }
}

/** Writes `data` as `path`: a new private file beside it, renamed into place (another process may do the same). */
function writeCache(path: string, data: Buffer): void {
  const { threadId } = builtin<typeof import('node:worker_threads')>('worker_threads');
  const temp = tempPath(path, threadId);
  let fd: number | null = null;
  try {
    fd = createNewFile(temp);
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    closeSync(fd);
    fd = null;
    renameSync(temp, path);
    removeStale(dirname(path));
  } catch {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // nothing more to do
      }
    }
    try {
      unlinkSync(temp);
    } catch {
      // not made, or gone
    }
  }
}

/**
 * Loads the CommonJS bundle `file` (an absolute path of the agent's own) as `require(file)` would, through
 * the code cache when it is on and usable; a module already in the require cache is returned as it is.
 * `execArgv`: the process's node flags (V8's flags are the process's: the watchdog, whose own execArgv is
 * empty, passes the main thread's), part of the cache's name so that runs with other flags keep theirs.
 */
export function loadBundle(file: string, execArgv: readonly string[] = process.execArgv): LoadedBundle {
  const cache = requireHere.cache;
  const known = cache[file];
  if (known) return { exports: known.exports, save: null };
  const dir = codeCacheOn() ? codeCacheDir() : null;
  if (!dir) return { exports: requireHere(file), save: null };

  let fd: number;
  let source: string;
  let name: string;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { exports: requireHere(file), save: null };
  }
  try {
    const st = fstatSync(fd);
    name = cacheName(file, st.size, st.mtimeMs, execArgv);
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const cachePath = join(dir, name);
  const cachedData = readCache(cachePath);
  // Node's CommonJS wrapper, on one line (line numbers stay the file's), with one more parameter: an
  // import() of this file's, for the bundle's own (reporters/load-reporters.ts). An import() run from a
  // vm.Script needs --experimental-vm-modules, or vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER, which
  // prints an ExperimentalWarning on the app's stderr.
  const vm = builtin<Vm>('vm');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, ${HOST_IMPORT}) { ${source}\n});`, {
    filename: file,
    cachedData,
  });
  const Module = requireHere('node:module') as NodeModuleClass;
  const mod = new Module(file, undefined);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dirname(file));
  cache[file] = mod as unknown as NodeJS.Module;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file), hostImport);
    mod.loaded = true;
  } catch (err) {
    delete cache[file];
    throw err;
  }
  const fresh = !cachedData || script.cachedDataRejected === true;
  return {
    exports: mod.exports,
    save: fresh
      ? () => {
          try {
            writeCache(cachePath, script.createCachedData());
          } catch {
            // a cache not written is compiled again next time
          }
        }
      : null,
  };
}
