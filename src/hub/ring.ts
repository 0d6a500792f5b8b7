// The findings ring of one thread slot: the thread that owns the slot is the only writer, the hub the
// only reader, so no lock is needed (a writer terminated mid-write never published its length). A
// finding that does not fit is dropped and counted, never waited for: the app's loop must not wait on
// the hub. Records are a 4-byte little-endian length and the finding's JSON.
import { RING_BYTES, RING_DROPPED, RING_READ, RING_WRITE, WAKE, type ThreadSlot } from '../watchdog/registry.js';

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
export function ringPush(slot: ThreadSlot, globals: Int32Array | null, finding: object): boolean {
  const bytes = Buffer.from(JSON.stringify(finding), 'utf8');
  const write = Atomics.load(slot.i32, RING_WRITE) >>> 0;
  const used = (write - (Atomics.load(slot.i32, RING_READ) >>> 0)) >>> 0;
  if (bytes.length + 4 > RING_BYTES - used) {
    Atomics.add(slot.i32, RING_DROPPED, 1);
    return false;
  }
  headerView.setUint32(0, bytes.length, true);
  copyIn(slot.ring, write, header);
  copyIn(slot.ring, write + 4, bytes);
  // Published only now: the reader never sees a record before its bytes.
  Atomics.store(slot.i32, RING_WRITE, (write + 4 + bytes.length) | 0);
  if (globals) {
    Atomics.add(globals, WAKE, 1);
    Atomics.notify(globals, WAKE);
  }
  return true;
}

/**
 * Hands every whole finding in the ring to `each`, oldest first, and only then frees their bytes, so a
 * thread waiting at exit for its findings to be reported (see hub/exit.ts) wakes after they were.
 */
export function ringDrain(slot: ThreadSlot, each: (finding: unknown) => void): number {
  let count = 0;
  let read = Atomics.load(slot.i32, RING_READ) >>> 0;
  const write = Atomics.load(slot.i32, RING_WRITE) >>> 0;
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
  Atomics.store(slot.i32, RING_READ, read | 0);
  // The thread may be waiting at exit for its last findings to be reported.
  Atomics.notify(slot.i32, RING_READ);
  return count;
}

export function ringPending(slot: ThreadSlot): boolean {
  return Atomics.load(slot.i32, RING_WRITE) !== Atomics.load(slot.i32, RING_READ);
}

export function ringDropped(slot: ThreadSlot): number {
  return Atomics.load(slot.i32, RING_DROPPED);
}
