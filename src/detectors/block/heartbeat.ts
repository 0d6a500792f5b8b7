// The in-thread half of the block detector: a heartbeat the watchdog reads. Each turn of the loop runs
// the (unref'd) interval timer, which stamps the time into shared memory: no message, no allocation.
// The heartbeat also answers the watchdog's one question to the thread: the in-memory source map of a
// file (tsx & co.), which only this thread has.
import { threadId } from 'node:worker_threads';
import type { Detector } from '../detector.js';
import type { NativeStackTrace } from '../../stack/native-binding.js';
import { ownThreadMap } from '../../frames/source-maps.js';
import { writeExportedMap } from '../../frames/exported-maps.js';
import type { ThreadSlot } from '../../protocol/thread-slot.js';
import { kernelThreadId, threadCpuMs } from './thread-cpu.js';
import { now } from '../../original.js';

export interface BlockThreadDetector extends Detector {
  startupBlockMs(): number;
  worstMs(): number;
}

/** How long exit may wait for the watchdog to write the final line of a block that just ended. */
const EXIT_WAIT_MS = 250;

/** Answers the watchdog's request for a file's in-memory source map (see frames/exported-maps.ts). */
function answerMapRequest(slot: ThreadSlot): void {
  const file = slot.requestedMap();
  if (file === null) return;
  try {
    const map = ownThreadMap(file);
    writeExportedMap(file, map ? (map.payload as object) : null);
  } catch {
    // no answer: the watchdog keeps the generated positions
  } finally {
    slot.clearMapRequest();
  }
}

/**
 * `slot` is this thread's registry slot, or a private one when nobody watches this thread (no agent in
 * the main thread, no free slot): its gaps are still counted in its summary, without stacks.
 * `onBeat` runs at each heartbeat (the loop-health publisher measures the loop's delay from it).
 * `requests`: the thread's request store, which the native reader then reads with each stack
 * (request-naming.ts), where it is built on AsyncContextFrame.
 */
export function startBlockDetector(
  slowMs: number,
  intervalMs: number,
  native: NativeStackTrace | null,
  slot: ThreadSlot,
  onBeat: () => void = () => {},
  requests: object | null = null,
): BlockThreadDetector {
  slot.resetGapClaim();
  // Where the watchdog can read this thread's scheduler statistics (Linux), each beat also says how
  // much CPU the thread had used: the part of a gap before the watchdog's first read is then known too.
  const tid = kernelThreadId();
  slot.setKernelThread(tid);
  const cpuMs = tid > 0 ? threadCpuMs : () => -1;
  // A gap the watchdog did not claim (it was not running yet, e.g. booting on a loaded machine): with
  // no stack nobody can say what ran, so it is counted in the summary, not reported as a finding.
  const countUnclaimedGap = () => {
    const last = slot.lastBeat();
    const gap = now() - last;
    if (last === 0 || gap < slowMs + intervalMs || !slot.claimGap(slot.gen())) return;
    slot.countUnnamedGap(gap);
  };
  try {
    native?.registerThread(String(threadId), requests ? { asyncLocalStorage: requests } : undefined);
  } catch {
    // the watchdog falls back to reporting without this thread's stack
  }
  slot.beat(now(), cpuMs());
  // The first tick ends start-up: the loop could not turn while the entry module ran. If the watchdog
  // watched that gap it classified it from stacks (start-up, or the app's first callbacks); if not,
  // the whole gap counts as start-up.
  let first = true;
  const timer = setInterval(function asyncdebugHeartbeat() {
    if (first) {
      first = false;
      const gap = now() - slot.lastBeat() - intervalMs;
      if (gap > 0 && slot.claimGap(slot.gen())) slot.addStartupMs(gap);
      slot.markTurned();
    } else {
      countUnclaimedGap();
    }
    answerMapRequest(slot);
    slot.beat(now(), cpuMs());
    onBeat();
  }, intervalMs);
  timer.unref();

  let stopped = false;
  return {
    name: 'block',
    counts: () => ({ block: slot.blocks() }),
    startupBlockMs: () => Math.round(slot.startupMs()),
    worstMs: () => Math.round(slot.worstMs()),
    summary: () => ({
      startupBlockMs: Math.round(slot.startupMs()),
      unnamedBlockMs: Math.round(slot.unnamedMs()),
      unnamedBlocks: slot.unnamedGaps(),
      exitIdleMs: Math.round(slot.exitIdleMs()),
      starvedMs: Math.round(slot.starvedMs()),
      starvedGaps: slot.starvedGaps(),
    }),
    atExit() {
      if (!first) countUnclaimedGap();
      answerMapRequest(slot);
      slot.beat(now(), cpuMs());
      slot.markExitBeat();
      slot.markExited();
      // A block that ended just before exit: let the watchdog write its final duration first.
      slot.awaitGapClosed(EXIT_WAIT_MS);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      slot.markExited();
    },
  };
}
