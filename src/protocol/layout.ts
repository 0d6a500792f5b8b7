// The byte layout of the registry of thread slots (protocol/registry.ts). Private to src/protocol/:
// everyone else reads and writes a slot through its typed view (protocol/thread-slot.ts), so the
// meaning of each number lives next to the one piece of code that touches it.

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
// Loop health, written by the thread about once a second (agent/loop-health.ts), read by anyone.
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
// The gap split (detectors/block/cpu-split.ts): what the thread did while its loop did not turn.
export const BEAT_CPU = 19; // ms of CPU the thread had used at its last heartbeat; -1 = not known (Node < 22)
export const STARVED_MS = 20; // ms the thread waited for a CPU inside gaps the watchdog watched (the watchdog)
export const STARVED_GAPS = 21; // gaps of the threshold that were no block: the thread mostly waited for a CPU
export const F64_SLOTS = 22;

/** Int32 slots, after the Float64 ones. */
export const I32_OFFSET = F64_SLOTS * 8;
export const CLOSED_SIGNAL = 0; // Atomics.wait/notify at exit
export const GEN = 1; // heartbeat generation, +1 per beat
export const CLAIMED = 2; // the generation whose gap a block finding was written for (CAS: watchdog or thread)
export const OWNER = 3; // threadId + 1 of the thread using this slot; 0 = free
export const TURNED = 4; // 1 once the thread's loop has turned after its entry module ran (start-up is over)
export const EXIT_GEN = 5; // the generation of the beat written at exit, 0 before
export const MAP_REQUEST = 6; // bytes of a file path in the mailbox whose in-memory source map the watchdog wants
export const NAME_LENGTH = 7; // bytes of the thread's name (the Worker's `name` option) in the name area
export const RING_WRITE = 8; // findings ring (protocol/ring.ts): bytes ever written, mod 2^32 (the thread only)
export const RING_READ = 9; // bytes ever read (the hub only)
export const RING_DROPPED = 10; // findings that did not fit
export const DONE = 11; // 1 once the thread wrote its last finding (its summary): the slot may be reused once drained
export const KERNEL_TID = 12; // the thread's kernel thread id (Linux, from /proc/thread-self), 0 = not known
export const SYNC_API_COUNT = 13; // sync APIs with a count below (the thread only; names written before this moves)
export const RESTING = 14; // 1 while the thread's loop is idle and its heartbeat slow (detectors/block/heartbeat.ts)
export const NO_REST = 15; // 1 once the watchdog cannot watch this thread resting: it keeps its fast heartbeat
export const WAKE_REQUEST = 16; // 1 + notify: the watchdog wakes the resting thread (its Atomics.waitAsync)
export const REST_WATCHED = 17; // 1 once the watchdog's rest sentinel watches this thread: its rest beat may be slow
export const I32_SLOTS = 18;

/** A byte mailbox after the Int32 slots: the path of a file whose source map the watchdog asks for. */
export const MAILBOX_OFFSET = I32_OFFSET + I32_SLOTS * 4;
export const MAILBOX_BYTES = 1024;
export const NAME_OFFSET = MAILBOX_OFFSET + MAILBOX_BYTES;
export const NAME_BYTES = 128;
/** Calls of each synchronous API the thread counted (detectors/sync-io), Float64, in the order each was
 *  first counted, and the API's name in the area after (NUL-padded): readers see every call as it is counted. */
export const SYNC_APIS = 48;
export const SYNC_NAME_BYTES = 48;
export const SYNC_COUNTS_OFFSET = Math.ceil((NAME_OFFSET + NAME_BYTES) / 8) * 8;
export const SYNC_NAMES_OFFSET = SYNC_COUNTS_OFFSET + SYNC_APIS * 8;
/** The ring of findings this thread made, JSON with a 4-byte length each. A power of two. Pages never
 *  written are never touched, so an idle slot costs address space, not memory. */
export const RING_OFFSET = SYNC_NAMES_OFFSET + SYNC_APIS * SYNC_NAME_BYTES;
export const RING_BYTES = 64 * 1024;

// Rounded up to 8 bytes: the next slot's Float64Array must start aligned.
export const SLOT_BYTES = Math.ceil((RING_OFFSET + RING_BYTES) / 8) * 8;

/** Process-wide Int32 slots, first in the buffer (the slots after them grow in number). */
export const GLOBAL_OFFSET = 0;
export const WAKE = 0; // +1 and notify whenever a thread puts a finding in its ring: the hub wakes
export const HUB_STATE = 1; // HUB_* below
export const TO_MAIN = 2; // 1 once the main thread wants every finding (subscribe(), a reporter of place `main`)
export const SLOTS_USED = 3; // how many slots from the first have ever been claimed: readers loop over these only
export const LIMIT_WARNED = 4; // 1 once a thread found no slot and said so (one warning per process)
export const UNWATCHED_COUNT = 5; // threads that found no slot, ever
export const READING = 6; // 1 while the watchdog reads every thread's stack (protocol/registry.ts beginRead)
export const CLOSING = 7; // 1 once the main thread exits: no read begins from then on
export const UNWATCHED_IDS = 8; // UNWATCHED_LISTED entries: threadId + 1 of a running thread with no slot, 0 = free
export const UNWATCHED_LISTED = 64;
export const LEAVING_IDS = UNWATCHED_IDS + UNWATCHED_LISTED; // LEAVING_LISTED entries: threadId + 1 of a thread Node is about to free
export const LEAVING_LISTED = 64;
export const EXIT_EXPORT = LEAVING_IDS + LEAVING_LISTED; // EXPORT_* below: the main thread at exit asks the hub's exporters to send what they hold
export const GLOBAL_SLOTS = EXIT_EXPORT + 1;
export const HUB_STARTING = 0;
export const HUB_UP = 1; // draining rings and reporting
export const HUB_GONE = 2; // never came up, or stopped: threads report for themselves
export const EXPORT_NONE = 0;
export const EXPORT_ASKED = 1;
export const EXPORT_DONE = 2;

/** Where the thread slots start: after the globals, 8-aligned (a slot begins with a Float64Array). */
export const SLOTS_OFFSET = Math.ceil((GLOBAL_SLOTS * 4) / 8) * 8;

/**
 * Threads one process can have watched at once; more run unwatched, and say so. The buffer holds the
 * slots claimed so far (it starts with INITIAL_SLOTS and doubles as threads come): an app with a few
 * threads holds a few slots' worth of shared memory, and a slot's pages never written cost nothing.
 */
export const MAX_THREADS = 1024;
export const INITIAL_SLOTS = 16;
/** Where the runtime cannot grow a SharedArrayBuffer: a fixed buffer of this many slots. */
export const FIXED_SLOTS = 128;

/** Bytes of a registry with room for `slots` threads. */
export function registryBytes(slots: number): number {
  return SLOTS_OFFSET + slots * SLOT_BYTES;
}

/** Owner value while a thread clears a slot it took: the watchdog skips it until it is ready. */
export const CLAIMING = -1;
