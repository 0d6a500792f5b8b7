// The in-thread half of the block detector: a heartbeat the watchdog reads. Each turn of the loop runs
// the (unref'd) interval timer, which stamps the time into shared memory: no message, no allocation.
// The heartbeat also answers the watchdog's one question to the thread: the in-memory source map of a
// file (tsx & co.), which only this thread has.
// An idle thread rests: once its loop has been idle through a run of beats, it beats once a second
// instead of at every interval, and says so in its slot. A timer that wakes an idle loop 100 times a
// second costs ~1 % of a core by itself, per thread. While it rests, the watchdog watches the thread's
// CPU time instead (block-watcher.ts): the moment it moves, the watchdog wakes the thread (the
// thread waits for that with Atomics.waitAsync on its slot, whose timeout is also its rest beat); a
// thread that then does not beat within the threshold is blocked. Where the watchdog's rest sentinel
// reads the thread's CPU clock (rest-sentinel.ts), the rest beat comes every 10 s: each one wakes the
// watchdog, and the sentinel sees any work the beat would have seen.
import { threadId } from 'node:worker_threads';
import type { Detector } from '../detector.js';
import type { NativeStackTrace } from '../../stack/native-binding.js';
import { ownThreadMap } from '../../frames/source-maps.js';
import { writeExportedMap } from '../../frames/exported-maps.js';
import type { ThreadSlot } from '../../protocol/thread-slot.js';
import { kernelThreadId, threadCpuMs } from './thread-cpu.js';
import { builtin } from '../../lazy-builtin.js';
// The timers as they were before the app ran: a thread re-arms its beat when it wakes from rest, by
// then the app may have replaced the globals (fake timers in a test).
import { monotonicNow, now, realClearInterval, realSetInterval } from '../../original.js';

export interface BlockThreadDetector extends Detector {
  startupBlockMs(): number;
  worstMs(): number;
}

/**
 * How long exit may wait for the watchdog to write the final line of a block that just ended. It is
 * waited only while a block is open: in fastify's suite with both cores loaded, 7 ms median and 210 ms
 * at the longest. 250 ms was once too short on a crowded CI runner, and the block kept its first
 * ongoing line only.
 */
const EXIT_WAIT_MS = 1000;

/**
 * A beat is quiet when the loop was idle for at least this share of the time since the one before.
 * Time runnable but waiting for a CPU counts as busy, so a loaded machine needs the slack.
 */
const QUIET_SHARE = 0.75;
/** A resting thread wakes itself when its loop was busy for more than half of the last rest beat. */
const REST_QUIET_SHARE = 0.5;
/** This many quiet beats in a row (50 ms at the default 10 ms heartbeat) and the thread rests. */
const QUIET_BEATS = 5;
/** While it rests, the thread beats this often, and wakes itself if its loop was not idle. */
const REST_BEAT_MS = 1000;
/** The same, while the watchdog's rest sentinel watches the thread (its slot says so). */
const WATCHED_REST_BEAT_MS = 10_000;
/**
 * No rest in a thread's first second: reading the loop's idle time needs `performance`, whose first
 * use costs ~2 ms, which a short process (a test file) should not pay for nothing.
 */
const REST_AFTER_MS = 1000;

/** The loop's idle time so far, ms (uv_metrics_idle_time); perf_hooks' own, not a global a test may fake. */
type IdleClock = () => number;
function idleClock(): IdleClock | null {
  try {
    const { performance } = builtin<{ performance: { nodeTiming: { idleTime: number } } }>('perf_hooks');
    const timing = performance.nodeTiming;
    return typeof timing.idleTime === 'number' ? () => timing.idleTime : null;
  } catch {
    return null;
  }
}

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
 * `onBeat` runs at each heartbeat (the loop-health publisher measures the loop's delay from it;
 * `unplanned`: this beat came after a rest or a wake-up, not one interval after the last).
 * `requests`: the thread's request store, which the native reader then reads with each stack
 * (request-naming.ts), where it is built on AsyncContextFrame. `readingStacks`: whether the native
 * reader is reading every thread's stack now (it waits for each thread to answer: none may rest then).
 */
export function startBlockDetector(
  slowMs: number,
  intervalMs: number,
  native: NativeStackTrace | null,
  slot: ThreadSlot,
  onBeat: (unplanned: boolean) => void = () => {},
  requests: object | null = null,
  readingStacks: () => boolean = () => false,
): BlockThreadDetector {
  slot.resetGapClaim();
  slot.setResting(false);
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
  /** A beat that ends a turn: the watchdog's source-map request first, whose answer it reads once it sees the beat. */
  const beatAnswering = () => {
    answerMapRequest(slot);
    slot.beat(now(), cpuMs());
  };

  // --- rest (see the top of this file); only where the watchdog can read the thread's CPU time ---
  const startedAt = monotonicNow();
  let idle: IdleClock | null | undefined;
  let quiet = 0;
  let lastIdle = 0;
  let lastAt = 0;
  let resting = false;
  let stopped = false;
  /** Whether the loop was idle through nearly all of the time since the last call (and notes now). */
  const wasQuiet = (share: number): boolean => {
    const at = monotonicNow();
    const idleMs = idle ? idle() : 0;
    const quietNow = lastAt > 0 && idleMs - lastIdle >= share * (at - lastAt);
    lastIdle = idleMs;
    lastAt = at;
    return quietNow;
  };
  const mayRest = (): boolean => {
    if (tid <= 0 || slot.restForbidden() || monotonicNow() - startedAt < REST_AFTER_MS) return false;
    if (idle === undefined) idle = idleClock();
    return idle !== null;
  };
  const wake = () => {
    if (!resting || stopped) return;
    resting = false;
    quiet = 0;
    // A block that began while it rested may have asked for a source map: answered with the beat that
    // ends it. The beat first: a watchdog that sees the thread awake sees this beat too.
    beatAnswering();
    slot.setResting(false);
    slot.clearWakeRequest();
    onBeat(true);
    timer = realSetInterval(asyncdebugHeartbeat, intervalMs);
    timer.unref();
  };
  /** While resting: wait for the watchdog's wake-up, or the rest beat, whichever comes first. */
  const awaitWake = () => {
    const waited = slot.waitForWake(slot.restWatched() ? WATCHED_REST_BEAT_MS : REST_BEAT_MS);
    if (!waited.async) return wake();
    void waited.value.then(function asyncdebugRestBeat(why) {
      try {
        if (!resting || stopped) return;
        if (why !== 'timed-out' || !wasQuiet(REST_QUIET_SHARE) || slot.restForbidden()) return wake();
        beatAnswering();
        onBeat(true);
        awaitWake();
      } catch {
        // never into the app: the thread stays as it is
      }
    });
  };
  const rest = () => {
    slot.clearWakeRequest();
    // Said first, then the reader checked: a reader that begins meanwhile sees this thread resting and
    // wakes it (protocol/wake.ts), or this thread sees the read and keeps beating (the registry's order).
    slot.setResting(true);
    if (readingStacks()) {
      slot.setResting(false);
      return;
    }
    resting = true;
    realClearInterval(timer);
    awaitWake();
  };

  // The first tick ends start-up: the loop could not turn while the entry module ran. If the watchdog
  // watched that gap it classified it from stacks (start-up, or the app's first callbacks); if not,
  // the whole gap counts as start-up.
  let first = true;
  function asyncdebugHeartbeat() {
    if (first) {
      first = false;
      const gap = now() - slot.lastBeat() - intervalMs;
      if (gap > 0 && slot.claimGap(slot.gen())) slot.addStartupMs(gap);
      slot.markTurned();
    } else {
      countUnclaimedGap();
    }
    beatAnswering();
    onBeat(false);
    if (!resting && mayRest()) {
      quiet = wasQuiet(QUIET_SHARE) ? quiet + 1 : 0;
      if (quiet >= QUIET_BEATS) rest();
    }
  }
  let timer = realSetInterval(asyncdebugHeartbeat, intervalMs);
  timer.unref();

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
      if (!first && !resting) countUnclaimedGap();
      beatAnswering();
      slot.setResting(false);
      slot.markExitBeat();
      slot.markExited();
      // A block that ended just before exit: let the watchdog write its final duration first.
      slot.awaitGapClosed(EXIT_WAIT_MS);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      realClearInterval(timer);
      slot.markExited();
    },
  };
}
