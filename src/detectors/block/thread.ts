// The in-thread half of the block detector: a heartbeat the watchdog reads. Each turn of the loop runs
// the (unref'd) interval timer, which stamps the time into shared memory: no message, no allocation.
// The heartbeat also answers the watchdog's one question to the thread: the in-memory source map of a
// file (tsx & co.), which only this thread has.
import { threadId } from 'node:worker_threads';
import type { Detector } from '../detector.js';
import { atomicsWait } from '../../original.js';
import type { NativeStackTrace } from '../../stack/native-binding.js';
import { ownThreadMap } from '../../frames/source-maps.js';
import { writeExportedMap } from '../../frames/exported-maps.js';
import {
  BEAT,
  BLOCKS,
  CLAIMED,
  CLOSED_SIGNAL,
  EXITED,
  EXIT_GEN,
  EXIT_IDLE_MS,
  GEN,
  MAP_REQUEST,
  OPEN_BLOCK,
  STARTUP_MS,
  TURNED,
  UNNAMED_COUNT,
  UNNAMED_MS,
  WORST_MS,
  claimGap,
  type ThreadSlot,
} from '../../watchdog/registry.js';

export interface BlockThreadDetector extends Detector {
  startupBlockMs(): number;
  worstMs(): number;
}

/** How long exit may wait for the watchdog to write the final line of a block that just ended. */
const EXIT_WAIT_MS = 250;

/** Answers the watchdog's request for a file's in-memory source map (see frames/exported-maps.ts). */
function answerMapRequest(slot: ThreadSlot): void {
  const length = Atomics.load(slot.i32, MAP_REQUEST);
  if (length <= 0) return;
  try {
    const file = Buffer.from(slot.mailbox.subarray(0, length)).toString('utf8');
    const map = ownThreadMap(file);
    writeExportedMap(file, map ? (map.payload as object) : null);
  } catch {
    // no answer: the watchdog keeps the generated positions
  } finally {
    Atomics.store(slot.i32, MAP_REQUEST, 0);
  }
}

/**
 * `slot` is this thread's registry slot, or a private one when nobody watches this thread (no agent in
 * the main thread, no free slot): its gaps are still counted in its summary, without stacks.
 * `onBeat` runs at each heartbeat (the loop-health publisher measures the loop's delay from it).
 */
export function startBlockDetector(
  slowMs: number,
  intervalMs: number,
  native: NativeStackTrace | null,
  slot: ThreadSlot,
  onBeat: () => void = () => {},
): BlockThreadDetector {
  Atomics.store(slot.i32, CLAIMED, -1);
  const beat = () => {
    slot.f64[BEAT] = Date.now();
    Atomics.add(slot.i32, GEN, 1);
  };
  // A gap the watchdog did not claim (it was not running yet, e.g. booting on a loaded machine): with
  // no stack nobody can say what ran, so it is counted in the summary, not reported as a finding.
  const countUnclaimedGap = () => {
    const last = slot.f64[BEAT] ?? 0;
    const gap = Date.now() - last;
    if (last === 0 || gap < slowMs + intervalMs || !claimGap(slot, Atomics.load(slot.i32, GEN))) return;
    slot.f64[UNNAMED_MS] = (slot.f64[UNNAMED_MS] ?? 0) + gap;
    slot.f64[UNNAMED_COUNT] = (slot.f64[UNNAMED_COUNT] ?? 0) + 1;
  };
  try {
    native?.registerThread(String(threadId));
  } catch {
    // the watchdog falls back to reporting without this thread's stack
  }
  beat();
  // The first tick ends start-up: the loop could not turn while the entry module ran. If the watchdog
  // watched that gap it classified it from stacks (start-up, or the app's first callbacks); if not,
  // the whole gap counts as start-up.
  let first = true;
  const timer = setInterval(function asyncdebugHeartbeat() {
    if (first) {
      first = false;
      const last = slot.f64[BEAT] ?? 0;
      const gap = Date.now() - last - intervalMs;
      if (gap > 0 && claimGap(slot, Atomics.load(slot.i32, GEN))) slot.f64[STARTUP_MS] = (slot.f64[STARTUP_MS] ?? 0) + gap;
      Atomics.store(slot.i32, TURNED, 1);
    } else {
      countUnclaimedGap();
    }
    answerMapRequest(slot);
    beat();
    onBeat();
  }, intervalMs);
  timer.unref();

  let stopped = false;
  return {
    name: 'block',
    counts: () => ({ block: slot.f64[BLOCKS] ?? 0 }),
    startupBlockMs: () => Math.round(slot.f64[STARTUP_MS] ?? 0),
    worstMs: () => Math.round(slot.f64[WORST_MS] ?? 0),
    summary: () => ({
      startupBlockMs: Math.round(slot.f64[STARTUP_MS] ?? 0),
      unnamedBlockMs: Math.round(slot.f64[UNNAMED_MS] ?? 0),
      unnamedBlocks: slot.f64[UNNAMED_COUNT] ?? 0,
      exitIdleMs: Math.round(slot.f64[EXIT_IDLE_MS] ?? 0),
    }),
    atExit() {
      if (!first) countUnclaimedGap();
      answerMapRequest(slot);
      beat();
      Atomics.store(slot.i32, EXIT_GEN, Atomics.load(slot.i32, GEN));
      slot.f64[EXITED] = 1;
      // A block that ended just before exit: let the watchdog write its final duration first.
      if (slot.f64[OPEN_BLOCK]) atomicsWait(slot.i32, CLOSED_SIGNAL, 0, EXIT_WAIT_MS);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      slot.f64[EXITED] = 1;
    },
  };
}
