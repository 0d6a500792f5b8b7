// What passes between the app's threads and the watchdog (where the block watcher and the findings hub
// run): one registry of thread slots in a SharedArrayBuffer, read and written without messages, so that
// a blocked thread needs to do nothing for the watchdog to see it. Each slot holds the thread's
// heartbeat and block numbers, its loop health (published about once a second), its name, and a ring of
// the findings it made, which the hub drains. The registry reaches every worker through worker_threads
// environment data; no message events are used in app threads (on Node 22+ the first message event of
// a thread loads undici's MessageEvent, 100+ ms on a busy machine).

/** Float64 slots. */
export const BEAT = 0; // epoch ms of the last heartbeat; 0 = not started
export const BLOCKS = 1; // block findings the watchdog wrote for this thread
export const STARTUP_MS = 2; // ms blocked by module loading (not findings)
export const OPEN_BLOCK = 3; // epoch ms start of the block the watchdog has open, 0 if none
export const EXITED = 4; // 1 once the thread is exiting: stop watching it
export const WORST_MS = 5; // longest block so far
export const UNNAMED_MS = 6; // ms of gaps no application frame could be named for (not findings)
export const UNNAMED_COUNT = 7; // how many such gaps
export const EXIT_IDLE_MS = 8; // ms the thread sat outside JavaScript at exit (V8 draining its tasks)
// Loop health, written by the thread about once a second (hub/publish.ts), read by anyone.
export const H_TIME = 9; // epoch ms of the last publish; 0 = none yet
export const H_MIN = 10; // loop delay over the last window, ms
export const H_MAX = 11;
export const H_MEAN = 12;
export const H_P50 = 13;
export const H_P90 = 14;
export const H_P99 = 15;
export const H_ELU = 16; // utilization over the last window
export const H_ACTIVE_MS = 17; // since the thread started
export const H_IDLE_MS = 18;
const F64_SLOTS = 19;

/** Int32 slots, after the Float64 ones. */
const I32_OFFSET = F64_SLOTS * 8;
export const CLOSED_SIGNAL = 0; // Atomics.wait/notify at exit
export const GEN = 1; // heartbeat generation, +1 per beat
export const CLAIMED = 2; // the generation whose gap a block finding was written for (CAS: watchdog or thread)
export const OWNER = 3; // threadId + 1 of the thread using this slot; 0 = free
export const TURNED = 4; // 1 once the thread's loop has turned after its entry module ran (start-up is over)
export const EXIT_GEN = 5; // the generation of the beat written at exit, 0 before
export const MAP_REQUEST = 6; // bytes of a file path in the mailbox whose in-memory source map the watchdog wants
export const NAME_LENGTH = 7; // bytes of the thread's name (the Worker's `name` option) in the name area
export const RING_WRITE = 8; // findings ring (hub/ring.ts): bytes ever written, mod 2^32 (the thread only)
export const RING_READ = 9; // bytes ever read (the hub only)
export const RING_DROPPED = 10; // findings that did not fit
export const DONE = 11; // 1 once the thread wrote its last finding (its summary): the slot may be reused once drained
const I32_SLOTS = 12;

/** A byte mailbox after the Int32 slots: the path of a file whose source map the watchdog asks for. */
const MAILBOX_OFFSET = I32_OFFSET + I32_SLOTS * 4;
export const MAILBOX_BYTES = 1024;
const NAME_OFFSET = MAILBOX_OFFSET + MAILBOX_BYTES;
export const NAME_BYTES = 128;
/** The ring of findings this thread made, JSON with a 4-byte length each. A power of two. Pages never
 *  written are never touched, so an idle slot costs address space, not memory. */
const RING_OFFSET = NAME_OFFSET + NAME_BYTES;
export const RING_BYTES = 64 * 1024;

// Rounded up to 8 bytes: the next slot's Float64Array must start aligned.
export const SLOT_BYTES = Math.ceil((RING_OFFSET + RING_BYTES) / 8) * 8;

/** Claims the gap after heartbeat generation `gen` for one writer only. */
export function claimGap(slot: ThreadSlot, gen: number): boolean {
  const claimed = Atomics.load(slot.i32, CLAIMED);
  return claimed !== gen && Atomics.compareExchange(slot.i32, CLAIMED, claimed, gen) === claimed;
}

export interface ThreadSlot {
  f64: Float64Array;
  i32: Int32Array;
  mailbox: Uint8Array;
  name: Uint8Array;
  ring: Uint8Array;
}

export function viewSlot(sab: SharedArrayBuffer, offset = 0): ThreadSlot {
  return {
    f64: new Float64Array(sab, offset, F64_SLOTS),
    i32: new Int32Array(sab, offset + I32_OFFSET, I32_SLOTS),
    mailbox: new Uint8Array(sab, offset + MAILBOX_OFFSET, MAILBOX_BYTES),
    name: new Uint8Array(sab, offset + NAME_OFFSET, NAME_BYTES),
    ring: new Uint8Array(sab, offset + RING_OFFSET, RING_BYTES),
  };
}

/** Threads one process can have watched at once; more run unwatched. */
export const MAX_THREADS = 128;
export const REGISTRY_KEY = 'asyncdebug:registry';

/** Process-wide Int32 slots after the thread slots. */
const GLOBAL_OFFSET = SLOT_BYTES * MAX_THREADS;
export const WAKE = 0; // +1 and notify whenever a thread puts a finding in its ring: the hub wakes
export const HUB_STATE = 1; // HUB_* below
export const TO_MAIN = 2; // 1 once the main thread wants every finding (subscribe(), a reporter of place `main`)
const SLOTS_USED = 3; // how many slots from the first have ever been claimed: readers loop over these only
const GLOBAL_SLOTS = 4;
export const HUB_STARTING = 0;
export const HUB_UP = 1; // draining rings and reporting
export const HUB_GONE = 2; // never came up, or stopped: threads report for themselves

export function createRegistry(): SharedArrayBuffer {
  return new SharedArrayBuffer(GLOBAL_OFFSET + GLOBAL_SLOTS * 4);
}

export function registryGlobals(registry: SharedArrayBuffer): Int32Array {
  return new Int32Array(registry, GLOBAL_OFFSET, GLOBAL_SLOTS);
}

export function registrySlot(registry: SharedArrayBuffer, index: number): ThreadSlot {
  return viewSlot(registry, index * SLOT_BYTES);
}

/** Owner value while a thread clears a slot it took: the watchdog skips it until it is ready. */
const CLAIMING = -1;

/**
 * How many slots, from the first, a reader must look at. Loops over all 128 touched a page of memory
 * per slot and ran hot enough in the watchdog's 20 ms tick to be optimized (megabytes of compiler).
 */
export function slotsUsed(registry: SharedArrayBuffer): number {
  return Atomics.load(registryGlobals(registry), SLOTS_USED);
}

/** Takes a free slot for this thread (compare-and-swap on its owner) and clears it for a fresh start. */
export function claimSlot(registry: SharedArrayBuffer, threadId: number): ThreadSlot | null {
  const globals = registryGlobals(registry);
  for (let i = 0; i < MAX_THREADS; i++) {
    const slot = registrySlot(registry, i);
    if (Atomics.compareExchange(slot.i32, OWNER, 0, CLAIMING) !== 0) continue;
    slot.f64.fill(0);
    Atomics.store(slot.i32, CLOSED_SIGNAL, 0);
    Atomics.store(slot.i32, GEN, 0);
    Atomics.store(slot.i32, CLAIMED, -1);
    Atomics.store(slot.i32, TURNED, 0);
    Atomics.store(slot.i32, EXIT_GEN, 0);
    Atomics.store(slot.i32, MAP_REQUEST, 0);
    Atomics.store(slot.i32, NAME_LENGTH, 0);
    Atomics.store(slot.i32, RING_WRITE, 0);
    Atomics.store(slot.i32, RING_READ, 0);
    Atomics.store(slot.i32, RING_DROPPED, 0);
    Atomics.store(slot.i32, DONE, 0);
    Atomics.store(slot.i32, OWNER, threadId + 1);
    // Raised after the slot is ready; never lowered (a released slot is reused, not forgotten).
    for (let used = Atomics.load(globals, SLOTS_USED); used < i + 1; used = Atomics.load(globals, SLOTS_USED)) {
      if (Atomics.compareExchange(globals, SLOTS_USED, used, i + 1) === used) break;
    }
    return slot;
  }
  return null;
}

/**
 * Gives a slot back once its thread is gone (the watchdog does this after the final line). Its
 * numbers stay until the next owner clears them: an exiting thread may still be reading them.
 */
export function releaseSlot(slot: ThreadSlot): void {
  Atomics.store(slot.i32, OWNER, 0);
}

/** The thread that owns the slot, or -1. */
export function slotOwner(slot: ThreadSlot): number {
  const owner = Atomics.load(slot.i32, OWNER);
  return owner > 0 ? owner - 1 : -1;
}

/** Writes the thread's name (the Worker's `name` option) for readers of its health. */
export function writeSlotName(slot: ThreadSlot, name: string | undefined): void {
  if (!name) return;
  const { written } = new TextEncoder().encodeInto(name, slot.name);
  Atomics.store(slot.i32, NAME_LENGTH, written);
}

export function readSlotName(slot: ThreadSlot): string | undefined {
  const length = Atomics.load(slot.i32, NAME_LENGTH);
  return length > 0 ? Buffer.from(slot.name.subarray(0, length)).toString('utf8') : undefined;
}
