// The in-thread half of the block detector: a heartbeat the watchdog reads. Each turn of the loop runs
// the (unref'd) interval timer, which stamps the time into shared memory: no message, no allocation.
import { threadId } from 'node:worker_threads';
import type { Detector } from '../detector.js';
import { atomicsWait } from '../../original.js';
import type { NativeStackTrace } from '../../stack/native-binding.js';
import {
  BEAT,
  BLOCKS,
  CLAIMED,
  CLOSED_SIGNAL,
  EXITED,
  GEN,
  OPEN_BLOCK,
  STARTUP_MS,
  WORST_MS,
  claimGap,
  claimSlot,
  viewSlot,
  SLOT_BYTES,
} from './common.js';
import type { BlockFinding, Finding } from '../../finding.js';
import { formatDuration, threadName } from '../../reporters/console-format.js';

export interface BlockThreadDetector extends Detector {
  startupBlockMs(): number;
  worstMs(): number;
}

/** How long exit may wait for the watchdog to write the final line of a block that just ended. */
const EXIT_WAIT_MS = 250;

export function startBlockDetector(
  slowMs: number,
  intervalMs: number,
  native: NativeStackTrace | null,
  emit: (finding: Finding) => void,
  registry: SharedArrayBuffer | null,
): BlockThreadDetector {
  // Without a registry (no agent in the main thread) or a free slot, nobody watches this thread; the
  // thread still reports its own gaps, without stacks.
  const slot = (registry && claimSlot(registry, threadId)) || viewSlot(new SharedArrayBuffer(SLOT_BYTES));
  Atomics.store(slot.i32, CLAIMED, -1);
  const beat = () => {
    slot.f64[BEAT] = Date.now();
    Atomics.add(slot.i32, GEN, 1);
  };
  let selfReported = 0;
  // A gap the watchdog did not claim (it was not running yet, e.g. booting on a loaded machine): the
  // thread writes it when its loop turns again, without a live stack, so no block is ever lost.
  const reportUnclaimedGap = () => {
    const last = slot.f64[BEAT] ?? 0;
    const gap = Date.now() - last;
    if (last === 0 || gap < slowMs + intervalMs || !claimGap(slot, Atomics.load(slot.i32, GEN))) return;
    slot.f64[BLOCKS] = (slot.f64[BLOCKS] ?? 0) + 1;
    slot.f64[WORST_MS] = Math.max(slot.f64[WORST_MS] ?? 0, gap);
    const finding: BlockFinding = {
      v: 1,
      id: `block-${threadId}-t${++selfReported}`,
      kind: 'block',
      time: last,
      pid: process.pid,
      threadId,
      message: `The event loop of the ${threadName(threadId)} was blocked for ${formatDuration(gap)}; the watchdog was not running yet, so no stack was read.`,
      site: null,
      frames: [],
      durationMs: Math.round(gap),
      ongoing: false,
      samples: 0,
    };
    emit(finding);
  };
  try {
    native?.registerThread(String(threadId));
  } catch {
    // the watchdog falls back to reporting without this thread's stack
  }
  beat();
  // The first tick measures start-up: the loop could not turn while the app's modules loaded. The
  // watchdog starts at the first turn, so later module loading (dynamic imports) it counts itself.
  const loadedAt = Date.now();
  let first = true;
  const timer = setInterval(() => {
    if (first) {
      first = false;
      slot.f64[STARTUP_MS] = (slot.f64[STARTUP_MS] ?? 0) + Math.max(0, Date.now() - loadedAt - intervalMs);
    } else {
      reportUnclaimedGap();
    }
    beat();
  }, intervalMs);
  timer.unref();

  let stopped = false;
  return {
    name: 'block',
    counts: () => ({ block: slot.f64[BLOCKS] ?? 0 }),
    startupBlockMs: () => Math.round(slot.f64[STARTUP_MS] ?? 0),
    worstMs: () => Math.round(slot.f64[WORST_MS] ?? 0),
    atExit() {
      if (!first) reportUnclaimedGap();
      beat();
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
