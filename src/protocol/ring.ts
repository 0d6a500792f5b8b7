// The findings ring of one thread slot: the thread that owns the slot is the only writer, the hub the
// only reader, so no lock is needed (a writer terminated mid-write never published its length). A
// finding that does not fit is dropped and counted, never waited for: the app's loop must not wait on
// the hub. Records are a 4-byte little-endian length and the finding's JSON.
import { RING_BYTES } from './layout.js';
import type { Registry } from './registry.js';
import type { ThreadSlot } from './thread-slot.js';
import { now } from '../original.js';

/** The ring's capacity in bytes (a finding larger than this minus 4 never fits). */
export { RING_BYTES };

const MASK = RING_BYTES - 1;

function copyIn(ring: Uint8Array, at: number, bytes: Uint8Array): void {
  const start = at & MASK;
  const first = Math.min(bytes.length, RING_BYTES - start);
  ring.set(bytes.subarray(0, first), start);
  if (first < bytes.length) ring.set(bytes.subarray(first), 0);
}

function copyOut(ring: Uint8Array, at: number, length: number): Uint8Array {
  const start = at & MASK;
  const first = Math.min(length, RING_BYTES - start);
  const out = new Uint8Array(length);
  out.set(ring.subarray(start, start + first), 0);
  if (first < length) out.set(ring.subarray(0, length - first), first);
  return out;
}

const header = new Uint8Array(4);
const headerView = new DataView(header.buffer);

/** Puts one finding in the ring and wakes the hub. False (and counted) when it did not fit. */
export function ringPush(slot: ThreadSlot, registry: Registry | null, finding: object): boolean {
  const bytes = Buffer.from(JSON.stringify(finding), 'utf8');
  const write = slot.ringWritten();
  const used = (write - slot.ringRead()) >>> 0;
  if (bytes.length + 4 > RING_BYTES - used) {
    slot.countDropped();
    return false;
  }
  headerView.setUint32(0, bytes.length, true);
  copyIn(slot.ring, write, header);
  copyIn(slot.ring, write + 4, bytes);
  slot.publishRingWrite(write + 4 + bytes.length);
  registry?.wakeHub();
  return true;
}

/**
 * Hands every whole finding in the ring to `each`, oldest first, and only then frees their bytes, so a
 * thread waiting at exit for its findings to be reported (ringAwaitDrained) wakes after they were.
 */
export function ringDrain(slot: ThreadSlot, each: (finding: unknown) => void): number {
  let count = 0;
  let read = slot.ringRead();
  const write = slot.ringWritten();
  while (((write - read) >>> 0) >= 4) {
    const length = new DataView(copyOut(slot.ring, read, 4).buffer).getUint32(0, true);
    try {
      const finding: unknown = JSON.parse(Buffer.from(copyOut(slot.ring, read + 4, length)).toString('utf8'));
      count++;
      each(finding);
    } catch {
      // a torn record cannot happen with one writer, and `each` never throws; skip rather than stop
    }
    read = (read + 4 + length) >>> 0;
  }
  slot.publishRingRead(read);
  return count;
}

export function ringPending(slot: ThreadSlot): boolean {
  return slot.ringWritten() !== slot.ringRead();
}

export function ringDropped(slot: ThreadSlot): number {
  return slot.dropped();
}

/** The thread at exit: waits until the hub has read every finding of its ring, or until `timeoutMs`. */
export function ringAwaitDrained(slot: ThreadSlot, timeoutMs: number): void {
  const deadline = now() + timeoutMs;
  while (ringPending(slot) && now() < deadline) slot.awaitRingRead(Math.max(1, deadline - now()));
}
