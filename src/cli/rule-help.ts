// What each kind of site means and what to do about it: the SARIF rules' full description and help (code
// scanning shows them on every alert). The depth is in the package's own docs, named by their path inside
// the installed package: the package links nowhere outside itself.
import type { ReportedKind } from '../kinds.js';

export interface RuleHelp {
  /** A Pascal identifier (the SARIF rule's `name`). */
  name: string;
  /** What was found, in a sentence or two (`fullDescription`). */
  description: string;
  /** Why it matters and what to do (`help`, after the description). */
  advice: string;
  /** The doc inside the package, and its section. */
  doc: string;
}

const HELP: Record<ReportedKind | 'module-load', RuleHelp> = {
  block: {
    name: 'EventLoopBlocked',
    description:
      "A thread's event loop did not turn for at least the threshold (ASYNC_DEBUG_SLOW_MS, 100 ms by default) of the thread's own time. The location is the line that was running while the loop was blocked, read from another thread during the block.",
    advice:
      'While the loop is blocked the thread answers no request, timer or message. Move the work off the loop (a worker thread, a streaming or async API), split it into chunks that yield, or make it cheaper. The message names the caller when the function was reached by more than one way.',
    doc: 'docs/report-format.md, section "block"',
  },
  'module-load': {
    name: 'EventLoopBlockedByModuleLoading',
    description: 'A thread spent the threshold or more loading modules after start-up: a lazy require() or import(), or a loader reading files synchronously.',
    advice: 'A one-time warm-up, counted only with --budget module-load=N. If it happens while requests are served, load the module at start-up instead.',
    doc: 'docs/cli.md, section "Sites"',
  },
  'sync-io': {
    name: 'SyncIoOnEventLoop',
    description: 'A synchronous API that blocks the event loop (fs.*Sync, child_process.execSync, zlib.*Sync, crypto.pbkdf2Sync, ...) was called after start-up.',
    advice: 'Use the asynchronous API (fs.promises, child_process.execFile, zlib streams, crypto.pbkdf2) or do the work at start-up. The count says how often the call ran; the worst duration, its slowest call.',
    doc: 'docs/report-format.md, section "sync-io"',
  },
  'atomics-wait': {
    name: 'AtomicsWaitOnEventLoop',
    description: 'Atomics.wait was called on a thread that has an event loop, which blocks that loop until it is woken.',
    advice: 'Wait with Atomics.waitAsync, or move the waiting to a thread without an event loop to keep.',
    doc: 'docs/report-format.md, section "atomics-wait"',
  },
  unawaited: {
    name: 'PromiseNeverAwaited',
    description: 'A promise returned by an async call was never awaited, chained or returned (debug mode).',
    advice: 'Await it, return it, or handle it explicitly: its errors are otherwise lost and its work races with what follows.',
    doc: 'docs/debug-mode.md, section "Promise findings"',
  },
  'unhandled-rejection': {
    name: 'UnhandledPromiseRejection',
    description: 'A promise was rejected and nothing handled the rejection; the location is where the promise was created.',
    advice: 'Await the promise inside try/catch, or add a .catch() where it is created.',
    doc: 'docs/debug-mode.md, section "Promise findings"',
  },
  'never-settled': {
    name: 'AwaitedPromiseNeverSettled',
    description: 'At exit, a promise that was awaited had never settled: the code awaiting it never went on (debug mode).',
    advice: 'Find what should have resolved or rejected it (a missing callback, an event that never came) and add a timeout or an error path.',
    doc: 'docs/debug-mode.md, section "Promise findings"',
  },
  'threadpool-saturation': {
    name: 'ThreadPoolSaturated',
    description: "Work for libuv's thread pool (fs, dns.lookup, crypto, zlib) waited behind a full pool; the location is the top submitter.",
    advice: 'Submit less at once (limit concurrency), use APIs that do not take a pool thread, or raise UV_THREADPOOL_SIZE before the process starts.',
    doc: 'docs/threads.md, section "threadpool-saturation"',
  },
  'large-message': {
    name: 'LargeStructuredClone',
    description: "A postMessage() to or from a worker spent the threshold or more structured-cloning its data, blocking the sender's loop.",
    advice: 'Send less, transfer ArrayBuffers instead of copying them, or share memory (SharedArrayBuffer).',
    doc: 'docs/threads.md, section "large-message"',
  },
};

/** A kind's help; a kind this version does not know gets a plain one. */
export function ruleHelp(kind: string): RuleHelp {
  if (Object.hasOwn(HELP, kind)) return HELP[kind as keyof typeof HELP];
  return { name: 'AsyncdebugFinding', description: `A finding of kind ${kind}.`, advice: 'See the finding\'s message.', doc: 'docs/report-format.md' };
}
