// What passes between the app's threads and the watchdog (where the block watcher and the findings hub
// run): one registry of thread slots in a SharedArrayBuffer, read and written without messages, so that
// a blocked thread needs to do nothing for the watchdog to see it. Each slot (protocol/thread-slot.ts)
// holds the thread's heartbeat and block numbers, its loop health (published about once a second), its
// name, and a ring of the findings it made (protocol/ring.ts), which the hub drains. After the slots
// come a few process-wide numbers: the hub's state, whether the main thread wants every finding, and
// the hub's wake-up counter, and the threads that found no slot. The buffer grows (a growable
// SharedArrayBuffer, one for every thread) as threads claim slots, up to MAX_THREADS; a thread past
// that runs unwatched, is listed here, and the first one says so. The buffer reaches every worker through worker_threads environment data;
// no message events are used in app threads (on Node 22+ the first message event of a thread loads
// undici's MessageEvent, 100+ ms on a busy machine).
import {
  CLOSING, EXIT_EXPORT, EXPORT_ASKED, EXPORT_DONE, FIXED_SLOTS, GLOBAL_OFFSET, GLOBAL_SLOTS, HUB_GONE, HUB_STARTING, HUB_STATE, HUB_UP, INITIAL_SLOTS,
  LEAVING_IDS, LEAVING_LISTED, LIMIT_WARNED, MAX_THREADS, READING, SLOTS_OFFSET, SLOTS_USED, SLOT_BYTES, TO_MAIN,
  UNWATCHED_COUNT, UNWATCHED_IDS, UNWATCHED_LISTED, WAKE, registryBytes,
} from './layout.js';
import { atomicsWait, now } from '../original.js';
import { ThreadSlot } from './thread-slot.js';

export { ThreadSlot } from './thread-slot.js';
export { MAX_THREADS } from './layout.js';

/** The environment-data key under which the main thread hands the buffer to every worker. */
export const REGISTRY_KEY = 'asyncdebug:registry';

/**
 * How long a thread about to be freed waits for a stack read begun before (leave, close). The native
 * reader asks each thread from a thread of its own, which on a starved machine may run long after the
 * read began; a thread freed before it was asked is written to after it was freed (the likely cause of the
 * crashes seen with 40 workers at a load of 30-40 while this was 250 ms). The reader also waits up to 5 s
 * for a thread that does not answer (one inside a long native call): waiting for all of that would make
 * such an app's exit late by seconds, so the wait ends at 1 s. A read is under way only while some
 * thread is blocked, and normally ends within a millisecond.
 */
export const READ_WAIT_MS = 1_000;

/** Where the findings hub (in the watchdog worker) is. */
export const HubState = { starting: HUB_STARTING, up: HUB_UP, gone: HUB_GONE } as const;
export type HubState = (typeof HubState)[keyof typeof HubState];

// In the ES2024 lib, not in the one this package compiles against; Node has it since 16.
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}

/** A thread's claimed slot, with the registry it is in. */
export interface WatchedSlot {
  registry: Registry;
  slot: ThreadSlot;
}

/** A private slot nobody watches (no registry, or no free slot): its numbers still make the summary. */
export function privateSlot(): ThreadSlot {
  return new ThreadSlot(new SharedArrayBuffer(SLOT_BYTES));
}

interface MaybeGrowable {
  growable?: boolean;
  maxByteLength?: number;
  grow?(bytes: number): void;
}

/**
 * A new registry's buffer for at most `maxThreads` slots (ASYNC_DEBUG_MAX_THREADS, at most MAX_THREADS):
 * growable where the runtime can, else a fixed one of FIXED_SLOTS at most.
 */
export function newRegistryBuffer(maxThreads: number = MAX_THREADS): SharedArrayBuffer {
  const most = Math.max(1, Math.min(MAX_THREADS, Math.floor(maxThreads)));
  try {
    const Growable = SharedArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer;
    const buffer = new Growable(registryBytes(Math.min(INITIAL_SLOTS, most)), { maxByteLength: registryBytes(most) });
    if ((buffer as MaybeGrowable).growable) return buffer;
  } catch {
    // no growable SharedArrayBuffer here
  }
  return new SharedArrayBuffer(registryBytes(Math.min(FIXED_SLOTS, most)));
}

export class Registry {
  readonly buffer: SharedArrayBuffer;
  private readonly globals: Int32Array;
  /** Views made once per slot: readers scan every tick or second and must not allocate. */
  private readonly slots: ThreadSlot[] = [];

  /** The most slots this buffer can ever hold. */
  readonly maxSlots: number;

  /** A new registry (the main thread), or a view of the one `buffer` holds. */
  constructor(buffer: SharedArrayBuffer = newRegistryBuffer()) {
    this.buffer = buffer;
    this.globals = new Int32Array(buffer, GLOBAL_OFFSET, GLOBAL_SLOTS);
    const g = buffer as MaybeGrowable;
    const bytes = g.growable && typeof g.maxByteLength === 'number' ? g.maxByteLength : buffer.byteLength;
    this.maxSlots = Math.min(MAX_THREADS, Math.floor((bytes - SLOTS_OFFSET) / SLOT_BYTES));
  }

  /** A claimed slot's view (`index` below slotsUsed(): the buffer holds it). */
  slot(index: number): ThreadSlot {
    return (this.slots[index] ??= new ThreadSlot(this.buffer, SLOTS_OFFSET + index * SLOT_BYTES));
  }

  /**
   * How many slots, from the first, a reader must look at. Loops over all 128 touched a page of memory
   * per slot and ran hot enough in the watchdog's 20 ms tick to be optimized (megabytes of compiler).
   */
  slotsUsed(): number {
    return Atomics.load(this.globals, SLOTS_USED);
  }

  /** Slots the buffer has room for now. */
  capacity(): number {
    return Math.min(this.maxSlots, Math.floor((this.buffer.byteLength - SLOTS_OFFSET) / SLOT_BYTES));
  }

  /** Room for slot `index`, growing the buffer (doubling) if it can; false when it cannot. */
  private makeRoom(index: number): boolean {
    const growable = this.buffer as MaybeGrowable;
    // A few tries: another thread may grow it meanwhile (a grow to less than it has then throws).
    for (let tries = 0; index >= this.capacity(); tries++) {
      const want = Math.min(this.maxSlots, Math.max(index + 1, this.capacity() * 2));
      if (!growable.growable || want <= this.capacity() || tries === 4) return false;
      try {
        growable.grow!(registryBytes(want));
      } catch {
        // look again
      }
    }
    return true;
  }

  /** Takes a free slot for this thread and clears it for a fresh start; null when all are taken. */
  claim(threadId: number): ThreadSlot | null {
    for (let i = 0; i < this.maxSlots; i++) {
      if (!this.makeRoom(i)) return null;
      const slot = this.slot(i);
      if (!slot.claim(threadId)) continue;
      // Raised after the slot is ready; never lowered (a released slot is reused, not forgotten).
      for (let used = this.slotsUsed(); used < i + 1; used = this.slotsUsed()) {
        if (Atomics.compareExchange(this.globals, SLOTS_USED, used, i + 1) === used) break;
      }
      // The watchdog of an idle process sleeps until something wakes it (block-watcher.ts).
      this.nudgeHub();
      return slot;
    }
    return null;
  }

  // --- threads that found no slot: listed while they run, counted ever ---

  /** This thread found no slot and runs unwatched; true for the first such thread of the process (it says so). */
  noteUnwatched(threadId: number): boolean {
    Atomics.add(this.globals, UNWATCHED_COUNT, 1);
    this.listUnwatched(threadId);
    return Atomics.compareExchange(this.globals, LIMIT_WARNED, 0, 1) === 0;
  }

  /** This thread runs on without being watched (no slot, or its agent stopped). */
  listUnwatched(threadId: number): void {
    for (let i = 0; i < UNWATCHED_LISTED; i++) {
      if (Atomics.compareExchange(this.globals, UNWATCHED_IDS + i, 0, threadId + 1) === 0) return;
    }
  }

  /** The unwatched thread is exiting. */
  unwatchedExits(threadId: number): void {
    for (let i = 0; i < UNWATCHED_LISTED; i++) {
      if (Atomics.compareExchange(this.globals, UNWATCHED_IDS + i, threadId + 1, 0) === threadId + 1) return;
    }
  }

  /** Running threads with no slot (up to UNWATCHED_LISTED of them), by threadId. */
  unwatchedThreads(): number[] {
    const ids: number[] = [];
    for (let i = 0; i < UNWATCHED_LISTED; i++) {
      const v = Atomics.load(this.globals, UNWATCHED_IDS + i);
      if (v > 0) ids.push(v - 1);
    }
    return ids.sort((a, b) => a - b);
  }

  /** Threads that found no slot since the process started. */
  unwatchedCount(): number {
    return Atomics.load(this.globals, UNWATCHED_COUNT);
  }

  /**
   * The threads still running JavaScript as far as the registry knows: those with a slot they have not
   * left, and those listed as unwatched; none listed as leaving. (A thread that exited, or whose slot was
   * given back, is not.)
   */
  runningThreads(into: Set<number> = new Set()): Set<number> {
    into.clear();
    for (let i = 0, n = this.slotsUsed(); i < n; i++) {
      const slot = this.slot(i);
      const owner = slot.owner();
      if (owner >= 0 && !slot.exited()) into.add(owner);
    }
    for (const id of this.unwatchedThreads()) into.add(id);
    for (let i = 0; i < LEAVING_LISTED; i++) {
      const v = Atomics.load(this.globals, LEAVING_IDS + i);
      if (v > 0) into.delete(v - 1);
    }
    return into;
  }

  // --- reading every thread's stack while threads leave (stack/native-engine.ts) ---
  // The native reader interrupts every thread it lists, from threads of its own, a moment after it
  // copied their isolates' addresses; a thread Node frees meanwhile is then written to after it was
  // freed (the process crashed: "malloc(): unsorted double linked list corrupted", an abort in
  // StackGuard::RequestInterrupt). So a thread about to be freed says so first (leave), and waits for a
  // read begun before; a read begins (beginRead) only while no listed thread is leaving. READING is
  // set before the reader looks at who is leaving, and a thread lists itself before it looks at
  // READING: one of them always sees the other (Atomics are sequentially consistent).

  /** Starts a read, unless the main thread exits or `mayRead()` (run after READING is set) says no. */
  beginRead(mayRead: () => boolean): boolean {
    Atomics.store(this.globals, READING, 1);
    if (Atomics.load(this.globals, CLOSING) === 0 && mayRead()) return true;
    this.endRead();
    return false;
  }

  /** Whether a read is under way: a thread about to rest checks this after it says it rests. */
  reading(): boolean {
    return Atomics.load(this.globals, READING) === 1;
  }

  endRead(): void {
    Atomics.store(this.globals, READING, 0);
    Atomics.notify(this.globals, READING);
  }

  /**
   * `threadId` is about to be freed by Node (it exits, or is terminated): listed as leaving, then a read
   * begun before it is waited for (at most `waitMs`; the thread it waits in answers the read).
   */
  leave(threadId: number, waitMs: number): void {
    for (let i = 0; i < LEAVING_LISTED; i++) {
      const at = LEAVING_IDS + i;
      const v = Atomics.load(this.globals, at);
      if (v === threadId + 1) break;
      if (v === 0 && Atomics.compareExchange(this.globals, at, 0, threadId + 1) === 0) break;
    }
    this.awaitNoRead(waitMs);
  }

  /** The main thread exits, and every other thread with it: no read begins from now on. */
  close(waitMs: number): void {
    Atomics.store(this.globals, CLOSING, 1);
    this.awaitNoRead(waitMs);
  }

  private awaitNoRead(waitMs: number): void {
    const until = Date.now() + waitMs;
    for (let left = waitMs; left > 0 && Atomics.load(this.globals, READING) === 1; left = until - Date.now()) {
      atomicsWait(this.globals, READING, 1, left);
    }
  }

  /** The threads that said they are leaving (the reader may still list them). */
  leavingThreads(): number[] {
    const ids: number[] = [];
    for (let i = 0; i < LEAVING_LISTED; i++) {
      const v = Atomics.load(this.globals, LEAVING_IDS + i);
      if (v > 0) ids.push(v - 1);
    }
    return ids;
  }

  /** The reader no longer lists `threadId`: its entry is free again. */
  leaveDone(threadId: number): void {
    for (let i = 0; i < LEAVING_LISTED; i++) Atomics.compareExchange(this.globals, LEAVING_IDS + i, threadId + 1, 0);
  }

  // --- the hub's state: starting -> up (the hub) or starting -> gone (the main thread at exit) ---

  hubState(): HubState {
    return Atomics.load(this.globals, HUB_STATE) as HubState;
  }

  /** The watchdog could not start, or died: threads report for themselves from now on. */
  markHubGone(): void {
    Atomics.store(this.globals, HUB_STATE, HUB_GONE);
  }

  /** The hub is ready; false when the main thread gave up on it first (it then reported for itself). */
  bringHubUp(): boolean {
    return Atomics.compareExchange(this.globals, HUB_STATE, HUB_STARTING, HUB_UP) === HUB_STARTING;
  }

  /** The main thread at exit, with the hub still starting: gives up on it; false when it came up meanwhile. */
  giveUpOnHub(): boolean {
    return Atomics.compareExchange(this.globals, HUB_STATE, HUB_STARTING, HUB_GONE) === HUB_STARTING;
  }

  // --- findings for the main thread (subscribe(), reporters of place `main`) ---

  /** Read from shared memory by the hub: a message asking could arrive after the first findings were drained. */
  sendFindingsToMain(): void {
    Atomics.store(this.globals, TO_MAIN, 1);
  }

  findingsWantedInMain(): boolean {
    return Atomics.load(this.globals, TO_MAIN) === 1;
  }

  // --- the exporters' last send at exit: the main thread asks, the hub answers once they are done ---

  /**
   * The main thread at exit, after its last finding went into its ring: asks the hub to have its
   * reporters send what they hold (an exporter's batch), wakes it, and waits for its answer at most
   * `timeoutMs`. True when the hub answered in time.
   */
  exportAtExit(timeoutMs: number): boolean {
    Atomics.store(this.globals, EXIT_EXPORT, EXPORT_ASKED);
    this.wakeHub();
    const deadline = now() + timeoutMs;
    for (;;) {
      if (Atomics.load(this.globals, EXIT_EXPORT) === EXPORT_DONE) return true;
      const left = deadline - now();
      if (left <= 0) return false;
      atomicsWait(this.globals, EXIT_EXPORT, EXPORT_ASKED, left);
    }
  }

  /** The hub: whether the main thread asked for the last send. */
  exportAsked(): boolean {
    return Atomics.load(this.globals, EXIT_EXPORT) === EXPORT_ASKED;
  }

  /** The hub: the last send is done (or given up); the main thread goes on exiting. */
  markExported(): void {
    Atomics.store(this.globals, EXIT_EXPORT, EXPORT_DONE);
    Atomics.notify(this.globals, EXIT_EXPORT);
  }

  // --- waking the hub: +1 and notify per finding put in a ring ---

  wakeHub(): void {
    Atomics.add(this.globals, WAKE, 1);
    Atomics.notify(this.globals, WAKE);
  }

  /**
   * Wakes a waiting hub without counting a finding (a thread claimed a slot). A hub busy at that moment
   * misses it; its next scan (at most a second later) picks the thread up.
   */
  nudgeHub(): void {
    Atomics.notify(this.globals, WAKE);
  }

  wakes(): number {
    return Atomics.load(this.globals, WAKE);
  }

  /** Resolves once the wake counter moves from `seen` (Atomics.waitAsync: no message, no polling). */
  waitForWake(seen: number): { async: boolean; value: Promise<string> | string } {
    return (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.globals, WAKE, seen);
  }
}
