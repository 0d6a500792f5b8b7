// The watchdog half of the block detector. It runs in the watchdog worker, reads every thread's
// heartbeat slot, and when a loop has not turned for slowMs it reads that thread's live stack and
// writes a `block` finding at once (ongoing), re-samples long blocks on a widening schedule, and writes
// the final duration (same id) when the loop turns again. The blocked thread itself does nothing.
import type { BlockFinding, Finding, Frame } from '../../finding.js';
import { isModuleLoading, siteOf, toFrames } from '../../frames/frames.js';
import type { StackEngine } from '../../stack/engine.js';
import { formatDuration } from '../../reporters/console-format.js';
import {
  BEAT,
  BLOCKS,
  CLOSED_SIGNAL,
  EXITED,
  GEN,
  MAX_THREADS,
  OPEN_BLOCK,
  STARTUP_MS,
  WORST_MS,
  claimGap,
  registrySlot,
  releaseSlot,
  slotOwner,
  type ThreadSlot,
} from './common.js';

interface OpenBlock {
  id: string;
  /** The last heartbeat before the block: when the loop was last seen turning. */
  beat: number;
  startup: boolean;
  frames: Frame[];
  samples: number;
  nextSampleAt: number;
}

interface Watched {
  index: number;
  threadId: number;
  slot: ThreadSlot;
  block: OpenBlock | null;
}

export interface BlockWatcherOptions {
  /** The process's registry of thread slots (common.ts). */
  registry: SharedArrayBuffer;
  slowMs: number;
  intervalMs: number;
  engine: StackEngine | null;
  emit: (finding: Finding) => void;
  now?: () => number;
}

/** After the first report, a long block is sampled again at 1 s, 2 s, 4 s ... then every minute. */
export function nextSampleDelay(elapsedMs: number, slowMs: number): number {
  const first = Math.max(1000, 2 * slowMs);
  if (elapsedMs < first) return first;
  return Math.min(elapsedMs * 2, elapsedMs + 60_000);
}

function threadLabel(threadId: number): string {
  return threadId === 0 ? 'main thread' : `worker thread ${threadId}`;
}

export function createBlockWatcher(options: BlockWatcherOptions) {
  const { registry, slowMs, intervalMs, engine, emit } = options;
  const now = options.now ?? Date.now;
  const threads = new Map<number, Watched>();
  let counter = 0;
  let lastTick = now();
  let ticking = false;

  function finding(t: Watched, b: OpenBlock, durationMs: number, ongoing: boolean): BlockFinding {
    const site = siteOf(b.frames);
    const where = site ? ` at ${site.function}` : '';
    return {
      v: 1,
      id: b.id,
      kind: 'block',
      time: b.beat,
      pid: process.pid,
      threadId: t.threadId,
      message: ongoing
        ? `The event loop of the ${threadLabel(t.threadId)} has not turned for ${formatDuration(durationMs)}${where}.`
        : `The event loop of the ${threadLabel(t.threadId)} was blocked for ${formatDuration(durationMs)}${where}.`,
      site,
      frames: b.frames,
      durationMs: Math.round(durationMs),
      ongoing,
      samples: b.samples,
    };
  }

  async function sample(t: Watched): Promise<Frame[] | null> {
    if (!engine) return [];
    const raw = await engine.capture(t.threadId);
    return raw ? toFrames(raw) : null;
  }

  function close(t: Watched, endBeat: number): void {
    const b = t.block;
    if (!b) return;
    t.block = null;
    const durationMs = endBeat - b.beat;
    if (b.startup) t.slot.f64[STARTUP_MS] = (t.slot.f64[STARTUP_MS] ?? 0) + durationMs;
    else {
      t.slot.f64[WORST_MS] = Math.max(t.slot.f64[WORST_MS] ?? 0, durationMs);
      emit(finding(t, b, durationMs, false));
    }
    t.slot.f64[OPEN_BLOCK] = 0;
    Atomics.store(t.slot.i32, CLOSED_SIGNAL, 1);
    Atomics.notify(t.slot.i32, CLOSED_SIGNAL);
  }

  async function open(t: Watched, beat: number): Promise<void> {
    const b: OpenBlock = { id: `block-${t.threadId}-${++counter}`, beat, startup: false, frames: [], samples: 0, nextSampleAt: 0 };
    t.block = b;
    t.slot.f64[OPEN_BLOCK] = beat;
    Atomics.store(t.slot.i32, CLOSED_SIGNAL, 0);
    const frames = await sample(t);
    if (frames === null && engine?.name === 'native' && t.threadId !== 0) {
      // The native registry no longer has this thread: it was terminated, not blocked.
      t.block = null;
      forget(t);
      return;
    }
    // A stack read after the loop turned again belongs to later code: keep the block, drop the stack.
    const stale = (t.slot.f64[BEAT] ?? beat) !== beat;
    b.frames = frames && !stale ? frames : [];
    b.samples = b.frames.length ? 1 : 0;
    b.startup = isModuleLoading(b.frames);
    b.nextSampleAt = beat + nextSampleDelay(now() - beat, slowMs);
    if (b.startup) return;
    t.slot.f64[BLOCKS] = (t.slot.f64[BLOCKS] ?? 0) + 1;
    const latest = t.slot.f64[BEAT] ?? beat;
    if (latest !== beat) close(t, latest); // it ended while we were reading the stack
    else emit(finding(t, b, now() - beat, true));
  }

  async function resample(t: Watched, b: OpenBlock): Promise<void> {
    const frames = await sample(t);
    if (t.block !== b) return;
    if (frames && frames.length > 0) {
      b.frames = frames;
      b.samples++;
    }
    const elapsed = now() - b.beat;
    b.nextSampleAt = b.beat + nextSampleDelay(elapsed, slowMs);
    if (!b.startup) emit(finding(t, b, elapsed, true));
  }

  async function check(t: Watched, t0: number, watchdogStalled: boolean): Promise<void> {
    const beat = t.slot.f64[BEAT] ?? 0;
    const exited = t.slot.f64[EXITED] === 1;
    const b = t.block;
    if (b) {
      if (beat !== b.beat || exited) close(t, exited && beat === b.beat ? t0 : beat);
      else if (t0 >= b.nextSampleAt) await resample(t, b);
    } else if (!exited && beat !== 0 && !watchdogStalled && t0 - beat >= slowMs) {
      // The thread reports a gap itself when it turns first (see thread.ts): one writer per gap.
      const gen = Atomics.load(t.slot.i32, GEN);
      if ((t.slot.f64[BEAT] ?? 0) === beat && claimGap(t.slot, gen)) await open(t, beat);
    }
    if (exited && !t.block) forget(t);
  }

  function forget(t: Watched): void {
    threads.delete(t.index);
    releaseSlot(t.slot);
  }

  // Views made once: a scan every tick must not allocate.
  const slots = Array.from({ length: MAX_THREADS }, (_, i) => registrySlot(registry, i));

  /** Picks up threads that claimed a registry slot since the last look. */
  function scan(): void {
    for (let i = 0; i < MAX_THREADS; i++) {
      if (threads.has(i)) continue;
      const slot = slots[i] as ThreadSlot;
      const threadId = slotOwner(slot);
      if (threadId < 0 || slot.f64[EXITED] === 1) continue;
      if (engine && !engine.canCapture(threadId)) continue;
      threads.set(i, { index: i, threadId, slot, block: null });
    }
  }

  async function tick(): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      const t0 = now();
      // If the watchdog itself did not run (the whole process was stopped), stale beats mean nothing.
      const watchdogStalled = t0 - lastTick > slowMs;
      lastTick = t0;
      scan();
      for (const t of [...threads.values()]) await check(t, t0, watchdogStalled);
    } catch {
      // never let a capture failure stop the watchdog
    } finally {
      ticking = false;
    }
  }

  return {
    intervalMs,
    tick,
    get size() {
      return threads.size;
    },
  };
}
