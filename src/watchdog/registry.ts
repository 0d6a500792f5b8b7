// Temporary: the registry of thread slots is src/protocol/ (registry.ts, thread-slot.ts, layout.ts).
// This file keeps the old names for the block watcher (detectors/block/watchdog.ts) and its test until
// they use the typed slot view; nothing else imports it. Delete it then.
import { Registry } from '../protocol/registry.js';
import { ThreadSlot } from '../protocol/thread-slot.js';
import { GLOBAL_OFFSET, GLOBAL_SLOTS, SLOTS_USED, SLOT_BYTES } from '../protocol/layout.js';

export {
  BEAT, BLOCKS, STARTUP_MS, OPEN_BLOCK, EXITED, WORST_MS, UNNAMED_MS, UNNAMED_COUNT, EXIT_IDLE_MS,
  H_TIME, H_MIN, H_MAX, H_MEAN, H_P50, H_P90, H_P99, H_ELU, H_ACTIVE_MS, H_IDLE_MS,
  CLOSED_SIGNAL, GEN, CLAIMED, OWNER, TURNED, EXIT_GEN, MAP_REQUEST, NAME_LENGTH, RING_WRITE, RING_READ, RING_DROPPED, DONE,
  MAILBOX_BYTES, NAME_BYTES, RING_BYTES, SLOT_BYTES, MAX_THREADS,
  WAKE, HUB_STATE, TO_MAIN, HUB_STARTING, HUB_UP, HUB_GONE,
} from '../protocol/layout.js';
export { REGISTRY_KEY } from '../protocol/registry.js';
export { ThreadSlot } from '../protocol/thread-slot.js';

export const claimGap = (slot: ThreadSlot, gen: number): boolean => slot.claimGap(gen);
export const viewSlot = (sab: SharedArrayBuffer, offset = 0): ThreadSlot => new ThreadSlot(sab, offset);
export const createRegistry = (): SharedArrayBuffer => new Registry().buffer;
export const registryGlobals = (registry: SharedArrayBuffer): Int32Array => new Int32Array(registry, GLOBAL_OFFSET, GLOBAL_SLOTS);
export const registrySlot = (registry: SharedArrayBuffer, index: number): ThreadSlot => new ThreadSlot(registry, index * SLOT_BYTES);
export const slotsUsed = (registry: SharedArrayBuffer): number => Atomics.load(registryGlobals(registry), SLOTS_USED);
export const claimSlot = (registry: SharedArrayBuffer, threadId: number): ThreadSlot | null => new Registry(registry).claim(threadId);
export const releaseSlot = (slot: ThreadSlot): void => slot.release();
export const slotOwner = (slot: ThreadSlot): number => slot.owner();
export const writeSlotName = (slot: ThreadSlot, name: string | undefined): void => slot.writeName(name);
export const readSlotName = (slot: ThreadSlot): string | undefined => slot.readName();
