// What passes between the in-thread half (thread.ts) and the watchdog half (watchdog.ts) of the block
// detector: one SharedArrayBuffer per thread, read and written without messages, so that a blocked
// thread needs to do nothing for the watchdog to see it.

/** Float64 slots. */
export const BEAT = 0; // epoch ms of the last heartbeat; 0 = not started
export const BLOCKS = 1; // block findings the watchdog wrote for this thread
export const STARTUP_MS = 2; // ms blocked by module loading (not findings)
export const OPEN_BLOCK = 3; // epoch ms start of the block the watchdog has open, 0 if none
export const EXITED = 4; // 1 once the thread is exiting: stop watching it
export const WORST_MS = 5; // longest block so far
const F64_SLOTS = 6;

/** Int32 slots, after the Float64 ones. */
const I32_OFFSET = F64_SLOTS * 8;
export const CLOSED_SIGNAL = 0; // Atomics.wait/notify at exit
export const GEN = 1; // heartbeat generation, +1 per beat
export const CLAIMED = 2; // the generation whose gap a block finding was written for (CAS: watchdog or thread)
const I32_SLOTS = 4;

export const SLOT_BYTES = I32_OFFSET + I32_SLOTS * 4;

/** Claims the gap after heartbeat generation `gen` for one writer only. */
export function claimGap(slot: ThreadSlot, gen: number): boolean {
  const claimed = Atomics.load(slot.i32, CLAIMED);
  return claimed !== gen && Atomics.compareExchange(slot.i32, CLAIMED, claimed, gen) === claimed;
}

export interface ThreadSlot {
  f64: Float64Array;
  i32: Int32Array;
}

export function viewSlot(sab: SharedArrayBuffer): ThreadSlot {
  return { f64: new Float64Array(sab, 0, F64_SLOTS), i32: new Int32Array(sab, I32_OFFSET, I32_SLOTS) };
}

export function newSlot(): { sab: SharedArrayBuffer; slot: ThreadSlot } {
  const sab = new SharedArrayBuffer(SLOT_BYTES);
  return { sab, slot: viewSlot(sab) };
}

/** BroadcastChannel names: threads register with the one watchdog of their process. */
export const REGISTER_CHANNEL = 'asyncdebug:register';
export const FINDINGS_CHANNEL = 'asyncdebug:findings';

export type RegisterMessage =
  | { type: 'register'; threadId: number; sab: SharedArrayBuffer }
  | { type: 'unregister'; threadId: number }
  | { type: 'hello' };

/** Marker in the watchdog's workerData, so the agent never starts inside its own watchdog. */
export const WATCHDOG_MARK = '__asyncdebugWatchdog';
