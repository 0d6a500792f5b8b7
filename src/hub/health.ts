// Loop health of one thread, as the hub holds it: every app thread publishes its own numbers into its
// registry slot about once a second (no message), and whoever reads the registry (the hub in the
// watchdog, or the main thread) sees every thread's health without asking the thread.

import {
  BEAT, BLOCKS, EXITED, H_ACTIVE_MS, H_ELU, H_IDLE_MS, H_MAX, H_MEAN, H_MIN, H_P50, H_P90, H_P99, H_TIME, TURNED,
  readSlotName, registrySlot, slotOwner, slotsUsed, type ThreadSlot,
} from '../watchdog/registry.js';


export interface LoopDelay {
  /** Milliseconds, over the last window (about one second). */
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

export interface ThreadHealth {
  pid: number;
  /** 0 = main thread. */
  threadId: number;
  /** The `name` the app gave the Worker, when it gave one. */
  threadName?: string;
  /** Epoch ms the thread last published its numbers. */
  time: number;
  /** Loop delay over the last window. */
  delay: LoopDelay;
  /** Event-loop utilization over the last window, 0..1. */
  elu: number;
  /** Since the thread started: ms the loop was active (running callbacks) and idle (waiting in the poll). */
  activeMs: number;
  idleMs: number;
  /** Ms the loop has been blocked right now (no heartbeat for at least the block threshold), else 0. */
  blockedMs: number;
  /** Block findings made for this thread so far. */
  blocks: number;
  /** True once the thread has exited (its last numbers stay until the slot is reused). */
  exited: boolean;
}

/** Every watched thread's health now, read from the registry (no message, no wait). */
export function readHealth(registry: SharedArrayBuffer, slowMs: number, slots?: ThreadSlot[]): ThreadHealth[] {
  const out: ThreadHealth[] = [];
  const now = Date.now();
  for (let i = 0, n = slotsUsed(registry); i < n; i++) {
    const slot = slots?.[i] ?? registrySlot(registry, i);
    const threadId = slotOwner(slot);
    if (threadId < 0) continue;
    const f = slot.f64;
    const exited = f[EXITED] === 1;
    const beatAge = now - (f[BEAT] ?? now);
    // Start-up (before the first loop turn) is not a block: the summary counts it apart.
    const blockedMs = !exited && Atomics.load(slot.i32, TURNED) === 1 && (f[BEAT] ?? 0) > 0 && beatAge >= slowMs ? beatAge : 0;
    const name = readSlotName(slot);
    out.push({
      pid: process.pid,
      threadId,
      ...(name ? { threadName: name } : {}),
      time: f[H_TIME] ?? 0,
      delay: { min: f[H_MIN] ?? 0, max: f[H_MAX] ?? 0, mean: f[H_MEAN] ?? 0, p50: f[H_P50] ?? 0, p90: f[H_P90] ?? 0, p99: f[H_P99] ?? 0 },
      elu: f[H_ELU] ?? 0,
      activeMs: f[H_ACTIVE_MS] ?? 0,
      idleMs: f[H_IDLE_MS] ?? 0,
      blockedMs,
      blocks: f[BLOCKS] ?? 0,
      exited,
    });
  }
  return out.sort((a, b) => a.threadId - b.threadId);
}
