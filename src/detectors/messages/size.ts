// How many bytes a structured clone of a message copies, estimated without serializing it (that
// would cost as much as the clone). `quickBytes` runs on every postMessage: the message itself and up to
// 16 values of a plain object or array, strings and buffers only. `estimateBytes` runs only for a
// message already found large or slow: a walk of the graph, bounded in nodes.

type Transfer = readonly unknown[] | null;

/** The transfer list of postMessage(value, transfer) or postMessage(value, { transfer }). */
export function transferList(arg: unknown): Transfer {
  if (Array.isArray(arg)) return arg;
  if (arg && typeof arg === 'object' && Array.isArray((arg as { transfer?: unknown }).transfer)) return (arg as { transfer: unknown[] }).transfer;
  return null;
}

function bufferBytes(v: object, transfer: Transfer): number {
  const buffer = ArrayBuffer.isView(v) ? v.buffer : v;
  if (typeof SharedArrayBuffer === 'function' && buffer instanceof SharedArrayBuffer) return 0; // shared, not copied
  if (transfer && transfer.includes(buffer)) return 0; // moved, not copied
  return ArrayBuffer.isView(v) ? v.byteLength : (v as ArrayBuffer).byteLength;
}

const isBuffer = (v: object) => ArrayBuffer.isView(v) || v instanceof ArrayBuffer;

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null || Array.isArray(v);
}

/** Whether the last quickBytes() saw the whole message (nothing nested): then its clone cannot be slow. */
export let quickWasFlat = false;

/**
 * A cheap look at the message: its own strings and buffers and those of its first 16 values. Sets
 * quickWasFlat when that was all of it (a primitive, a string, a buffer, or a plain object or array of
 * at most 16 primitives, strings and buffers): the count is then exact, and the clone is quick.
 */
export function quickBytes(message: unknown, transfer: Transfer): number {
  quickWasFlat = true;
  if (typeof message === 'string') return message.length;
  if (typeof message !== 'object' || message === null) return 0;
  if (isBuffer(message)) return bufferBytes(message, transfer);
  if (!isPlain(message)) {
    quickWasFlat = false;
    return 0;
  }
  let n = 0;
  let i = 0;
  const record = message as Record<string, unknown>;
  for (const key in record) {
    if (++i > 16) {
      quickWasFlat = false;
      break;
    }
    const v = record[key];
    if (typeof v === 'string') n += v.length;
    else if (typeof v === 'object' && v !== null) {
      if (isBuffer(v)) n += bufferBytes(v, transfer);
      else quickWasFlat = false;
    } else if (typeof v === 'function') quickWasFlat = false; // the clone throws: let it, timed or not
  }
  return n;
}

export interface SizeEstimate {
  bytes: number;
  /** False when parts of the graph were sampled (long arrays, big maps) or the walk hit its bound. */
  complete: boolean;
}

/** Elements of one array (or entries of a Map or Set) walked; a longer one is sampled and scaled. */
const PER_COLLECTION = 256;

/**
 * Walks the message graph, each object once as the clone does, for up to `limit` values. A collection
 * longer than PER_COLLECTION is sampled evenly and its elements weighted, so that a 1.5M-element
 * array costs a few hundred visits and still comes out at about its size.
 */
export function estimateBytes(message: unknown, transfer: Transfer, limit = 20_000): SizeEstimate {
  const seen = new Set<object>();
  const values: unknown[] = [message];
  const weights: number[] = [1];
  let bytes = 0;
  let visited = 0;
  let complete = true;
  const push = (v: unknown, w: number) => {
    values.push(v);
    weights.push(w);
  };
  /** Pushes a sample of `items` (of `length`), each weighted for the ones it stands for. */
  const pushSample = (items: ArrayLike<unknown> | null, iterable: Iterable<unknown> | null, length: number, w: number) => {
    if (length <= PER_COLLECTION) {
      if (items) for (let i = length - 1; i >= 0; i--) push(items[i], w);
      else if (iterable) for (const x of iterable) push(x, w);
      return;
    }
    complete = false;
    const weight = (w * length) / PER_COLLECTION;
    if (items) {
      for (let k = PER_COLLECTION - 1; k >= 0; k--) push(items[Math.floor((k * length) / PER_COLLECTION)], weight);
    } else if (iterable) {
      let k = 0;
      for (const x of iterable) {
        push(x, weight);
        if (++k >= PER_COLLECTION) break;
      }
    }
  };
  while (values.length > 0) {
    if (++visited > limit) {
      complete = false;
      break;
    }
    const v = values.pop();
    const w = weights.pop() as number;
    switch (typeof v) {
      case 'string':
        bytes += (5 + v.length) * w;
        continue;
      case 'number':
        bytes += 9 * w;
        continue;
      case 'bigint':
        bytes += 16 * w;
        continue;
      case 'object':
        break;
      default:
        bytes += w;
        continue;
    }
    if (v === null) {
      bytes += w;
      continue;
    }
    if (seen.has(v)) {
      bytes += 5 * w; // a back reference
      continue;
    }
    seen.add(v);
    if (isBuffer(v)) {
      const buffer = ArrayBuffer.isView(v) ? v.buffer : v;
      if (!seen.has(buffer) || buffer === v) bytes += (bufferBytes(v, transfer) + 8) * w;
      seen.add(buffer);
      continue;
    }
    if (v instanceof Map) pushSample(null, v.entries(), v.size, w);
    else if (v instanceof Set) pushSample(null, v.values(), v.size, w);
    else if (v instanceof Date) bytes += 9 * w;
    else if (Array.isArray(v)) {
      bytes += 5 * w;
      pushSample(v, null, v.length, w);
    } else {
      bytes += 2 * w;
      let n = 0;
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        if (++n > PER_COLLECTION) {
          complete = false; // an object with more keys than this is not walked further
          break;
        }
        bytes += (key.length + 2) * w;
        push((v as Record<string, unknown>)[key], w);
      }
    }
  }
  return { bytes: Math.round(bytes), complete };
}
