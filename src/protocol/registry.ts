// What passes between the app's threads and the watchdog (where the block watcher and the findings hub
// run): one registry of thread slots in a SharedArrayBuffer, read and written without messages, so that
// a blocked thread needs to do nothing for the watchdog to see it. Each slot (protocol/thread-slot.ts)
// holds the thread's heartbeat and block numbers, its loop health (published about once a second), its
// name, and a ring of the findings it made (protocol/ring.ts), which the hub drains. After the slots
// come a few process-wide numbers: the hub's state, whether the main thread wants every finding, and
// the hub's wake-up counter. The buffer reaches every worker through worker_threads environment data;
// no message events are used in app threads (on Node 22+ the first message event of a thread loads
// undici's MessageEvent, 100+ ms on a busy machine).
import {
  EXIT_EXPORT, EXPORT_ASKED, EXPORT_DONE, GLOBAL_OFFSET, GLOBAL_SLOTS, HUB_GONE, HUB_STARTING, HUB_STATE, HUB_UP, MAX_THREADS,
  REGISTRY_BYTES, SLOTS_USED, SLOT_BYTES, TO_MAIN, WAKE,
} from './layout.js';
import { atomicsWait, now } from '../original.js';
import { ThreadSlot } from './thread-slot.js';

export { ThreadSlot } from './thread-slot.js';
export { MAX_THREADS } from './layout.js';

/** The environment-data key under which the main thread hands the buffer to every worker. */
export const REGISTRY_KEY = 'asyncdebug:registry';

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

export class Registry {
  readonly buffer: SharedArrayBuffer;
  private readonly globals: Int32Array;
  /** Views made once per slot: readers scan every tick or second and must not allocate. */
  private readonly slots: ThreadSlot[] = [];

  /** A new registry (the main thread), or a view of the one `buffer` holds. */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(REGISTRY_BYTES)) {
    this.buffer = buffer;
    this.globals = new Int32Array(buffer, GLOBAL_OFFSET, GLOBAL_SLOTS);
  }

  slot(index: number): ThreadSlot {
    return (this.slots[index] ??= new ThreadSlot(this.buffer, index * SLOT_BYTES));
  }

  /**
   * How many slots, from the first, a reader must look at. Loops over all 128 touched a page of memory
   * per slot and ran hot enough in the watchdog's 20 ms tick to be optimized (megabytes of compiler).
   */
  slotsUsed(): number {
    return Atomics.load(this.globals, SLOTS_USED);
  }

  /** Takes a free slot for this thread and clears it for a fresh start; null when all are taken. */
  claim(threadId: number): ThreadSlot | null {
    for (let i = 0; i < MAX_THREADS; i++) {
      const slot = this.slot(i);
      if (!slot.claim(threadId)) continue;
      // Raised after the slot is ready; never lowered (a released slot is reused, not forgotten).
      for (let used = this.slotsUsed(); used < i + 1; used = this.slotsUsed()) {
        if (Atomics.compareExchange(this.globals, SLOTS_USED, used, i + 1) === used) break;
      }
      return slot;
    }
    return null;
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

  wakes(): number {
    return Atomics.load(this.globals, WAKE);
  }

  /** Resolves once the wake counter moves from `seen` (Atomics.waitAsync: no message, no polling). */
  waitForWake(seen: number): { async: boolean; value: Promise<string> | string } {
    return (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.globals, WAKE, seen);
  }
}
