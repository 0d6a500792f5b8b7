// Makes the agent follow the app into the threads and processes it starts:
// - `--import asyncdebug` (`--require asyncdebug`) in process.execArgv becomes an absolute URL (path),
//   so `fork()` children whose cwd cannot resolve the bare name still start;
// - `new Worker(code, { eval: true })` does not get --import from Node, so a dynamic import of the agent
//   is appended to the code, on a line of its own: the app's lines and columns, and so its errors'
//   stacks and crash headers, stay as they are (the import is asynchronous, so the agent starts after
//   the code's first synchronous run wherever it is put);
// - a worker given its own execArgv gets the --import added back.
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread, setEnvironmentData, threadId } from 'node:worker_threads';
import { builtin } from '../lazy-builtin.js';
import { raiseStackLimit, restoreStackLimit } from '../frames/hide.js';
import { IDENTITY_KEY, PORT_WORKER, WORKER_NAME, threadIdentity } from '../thread-identity.js';
import { READ_WAIT_MS, type Registry } from '../protocol/registry.js';

// The thread agent reads its own identity through here.

// The CommonJS entries: a CJS file preloaded with --import leaves no pending fs close behind on Node 20
// (an ESM one does: its loader reads files asynchronously), and they load the one agent bundle.
const ENTRY_URLS: Record<string, string> = {
  asyncdebug: new URL('../register.cjs', import.meta.url).href,
  'asyncdebug/auto': new URL('../auto.cjs', import.meta.url).href,
};
const REGISTER_URL = ENTRY_URLS.asyncdebug as string;
const PRELOAD_FLAGS: Record<string, (url: string) => string> = {
  '--import': (url) => url,
  '--require': (url) => fileURLToPath(url),
  '-r': (url) => fileURLToPath(url),
};

export function absolutizeExecArgv(argv: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const spell = PRELOAD_FLAGS[flag];
    if (!spell) continue;
    if (eq < 0 && i + 1 < argv.length) {
      const url = ENTRY_URLS[argv[i + 1] as string];
      if (url) argv[i + 1] = spell(url);
    } else if (eq >= 0) {
      const url = ENTRY_URLS[arg.slice(eq + 1)];
      if (url) argv[i] = `${flag}=${spell(url)}`;
    }
  }
}

function importsAgent(execArgv: readonly string[]): boolean {
  const spelled = Object.values(ENTRY_URLS).flatMap((u) => [u, fileURLToPath(u)]);
  return execArgv.some((a) => spelled.some((u) => a.includes(u)) || /(^|=)asyncdebug(\/auto)?$/.test(a));
}

/** The app's code, then the agent's import on a new line (after a last line that may be a comment). */
export function withAgentImport(code: string): string {
  return `${code}\n;import(${JSON.stringify(REGISTER_URL)}).catch(() => {});`;
}

/** The Worker's public port: a field Node keys by an unexported symbol (`kPublicPort`). */
function publicPort(worker: object): object | null {
  for (const key of Object.getOwnPropertySymbols(worker)) {
    if (key.description !== 'kPublicPort') continue;
    const port = (worker as Record<symbol, unknown>)[key];
    return typeof port === 'object' && port !== null ? port : null;
  }
  return null;
}

let patched = false;

/** This thread's workers, for its exit: Node terminates them then, with no exit of their own. */
const children = new Set<WeakRef<import('node:worker_threads').Worker>>();
/** The set is pruned of workers gone when it doubles since the last pruning. */
let pruneAt = 64;

function remember(worker: import('node:worker_threads').Worker): void {
  children.add(new WeakRef(worker));
  if (children.size < pruneAt) return;
  for (const ref of children) {
    const w = ref.deref();
    if (!w || w.threadId < 0) children.delete(ref);
  }
  pruneAt = Math.max(64, children.size * 2);
}

/** At this thread's exit: its workers still running leave with it (protocol/registry.ts leave). */
export function childrenLeave(registry: Registry): void {
  for (const ref of children) {
    const worker = ref.deref();
    if (worker && worker.threadId >= 0) registry.leave(worker.threadId, 0);
  }
}

/**
 * `registry`: where a worker the app terminates says it leaves first (the native stack reader must not
 * interrupt a thread Node is freeing: stack/native-engine.ts).
 */
export function followWorkers(registry: Registry | null = null): void {
  if (patched) return;
  patched = true;
  const workerThreads = builtin<typeof import('node:worker_threads')>('worker_threads');
  const Original = workerThreads.Worker;
  class Worker extends Original {
    constructor(filename: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      if (options?.eval && typeof filename === 'string') filename = withAgentImport(filename);
      else if (options?.execArgv && !importsAgent(options.execArgv)) {
        options = { ...options, execArgv: [...options.execArgv, '--import', REGISTER_URL] };
      }
      // Environment data is copied into the worker as it is made: the name and the parent pass that way,
      // then this thread's own entry is put back for the workers made later.
      const name = typeof options?.name === 'string' ? options.name : null;
      const mine = isMainThread ? undefined : threadIdentity();
      try {
        setEnvironmentData(IDENTITY_KEY, { name, parent: threadId });
      } catch {
        // unnamed
      }
      // An error Node throws here (a bad filename) keeps as many app frames as without this class (the
      // agent's frame is not shown: frames/hide.ts).
      const limit = raiseStackLimit(1);
      try {
        super(filename, options);
      } finally {
        restoreStackLimit(limit, 1);
        try {
          setEnvironmentData(IDENTITY_KEY, mine);
        } catch {
          // nothing to put back
        }
      }
      if (name) Object.defineProperty(this, WORKER_NAME, { value: name });
      remember(this);
      try {
        const port = publicPort(this);
        if (port) Object.defineProperty(port, PORT_WORKER, { value: this });
      } catch {
        // its messages name no receiver
      }
    }
  }
  Object.defineProperty(Worker, 'name', { value: 'Worker' });
  if (registry) {
    // An own method of the class, with the original's name and length, calling the original.
    const terminate = Original.prototype.terminate;
    Object.defineProperty(Worker.prototype, 'terminate', {
      configurable: true,
      writable: true,
      value: {
        terminate(this: import('node:worker_threads').Worker) {
          try {
            if (this.threadId >= 0) registry.leave(this.threadId, READ_WAIT_MS);
          } catch {
            // terminated all the same
          }
          return terminate.call(this);
        },
      }.terminate,
    });
  }
  workerThreads.Worker = Worker;
  syncBuiltinESMExports();
}
