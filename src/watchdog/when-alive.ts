// When the main thread starts its watchdog: as soon as the process is known to live on after its
// entry module ran, and never for a script that ends with its entry module. A worker costs ~7 ms to
// create and, when the process ends while it is still booting, ~12 ms more at exit (Node joins it):
// most of an empty script's start-up budget, for a watchdog that would never have watched anything.
// A block needs the loop to have been kept alive by something (a timer, a socket, a server, a child,
// a worker, a pending read), so waiting for that loses no block of the app's, only start-up.
/** Resources that do not say the app lives on: stdio, and the file reads of module loading. */
const QUIET = new Set(['FSReqCallback', 'FSReqPromise', 'PipeWrap', 'TTYWrap', 'CloseReq']);

/**
 * How long file reads alone may keep an ES module entry waiting (Node 20 loads the module graph with
 * asynchronous reads, before the entry runs): past this, the process lives.
 */
const ESM_LOADING_MS = 30;

/** Ticks looked at after the entry module (each costs a call to getActiveResourcesInfo). */
const MAX_TICKS = 8;

const nodeMajor = Number(process.versions.node.split('.')[0]);

/** Whether the entry module has run: a CommonJS entry has, when there is one; Node 22+ runs an ESM entry before this tick. */
function entryHasRun(): boolean {
  return nodeMajor >= 22 || (process as { mainModule?: unknown }).mainModule !== undefined;
}

function onlyQuiet(): boolean {
  return process.getActiveResourcesInfo().every((r) => QUIET.has(r));
}

/**
 * Calls `start` once, at the first of: a tick soon after the entry module that finds something keeping
 * the loop alive (a `listen` callback runs in a later tick and may block), or the first loop
 * turn (the loop is alive, or our unref'd timers would not run), unless an ESM entry is still being
 * read. Returns a cancel.
 */
export function whenProcessLives(start: () => void): () => void {
  const t0 = Date.now();
  let done = false;
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  const cancel = () => {
    done = true;
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
  const go = () => {
    if (done) return;
    cancel();
    try {
      start();
    } catch {
      // the caller's failure is its own (a watchdog that cannot start is said elsewhere)
    }
  };
  const onTurn = () => {
    if (done) return;
    if (entryHasRun() || !onlyQuiet() || Date.now() - t0 >= ESM_LOADING_MS) go();
    else timer = setTimeout(onTurn, 2).unref();
  };
  // Looked at again for a few ticks: `listen(port, host)` makes its server handle in a tick of its own
  // (after the address lookup), and the 'listening' callback runs in the tick after that.
  let ticks = 0;
  const onTick = () => {
    if (done || !entryHasRun()) return;
    if (!onlyQuiet()) go();
    else if (++ticks < MAX_TICKS) process.nextTick(onTick);
  };
  process.nextTick(onTick);
  timer = setTimeout(onTurn, 0).unref();
  immediate = setImmediate(onTurn).unref();
  return cancel;
}
