// Which synchronous APIs block the loop, and how to wrap each. One list: the detector wraps these.
import { builtin } from '../../lazy-builtin.js';

export interface SyncApi {
  /** `fs.readFileSync`, `Atomics.wait` … as reported in findings and matched by the allow-list. */
  api: string;
  owner: Record<string, unknown>;
  key: string;
  /** Only calls for which this holds are findings (e.g. randomBytes without a callback, large); it gets
   *  the call's first three arguments (no array is made for them: randomBytes runs per request in apps). */
  when?: (a0: unknown, a1: unknown, a2: unknown) => boolean;
}

/** Random bytes below this are too quick to matter. */
const LARGE_RANDOM_BYTES = 64 * 1024;

function byteLength(value: unknown): number {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer ? value.byteLength : 0;
}

/** Builtins whose sync APIs are wrapped. Loading one costs 2-5 ms, so only loaded ones are wrapped. */
export const WRAPPED_MODULES = ['fs', 'child_process', 'zlib', 'crypto'] as const;
export type WrappedModule = (typeof WRAPPED_MODULES)[number];

export function syncApisOf(name: WrappedModule): SyncApi[] {
  const owner = builtin(name);
  const list: SyncApi[] = [];
  const add = (key: string, when?: SyncApi['when']) => list.push({ api: `${name}.${key}`, owner, key, when });
  switch (name) {
    case 'fs':
    case 'zlib':
      for (const key of Object.keys(owner)) if (key.endsWith('Sync')) add(key);
      break;
    case 'child_process':
      for (const key of ['execSync', 'execFileSync', 'spawnSync']) add(key);
      break;
    case 'crypto':
      for (const key of ['pbkdf2Sync', 'scryptSync', 'generateKeyPairSync', 'generateKeySync', 'generatePrimeSync']) add(key);
      add('randomBytes', (size, callback) => typeof callback !== 'function' && Number(size) >= LARGE_RANDOM_BYTES);
      add('randomFillSync', (buffer, offset, length) => {
        const size = length !== undefined ? Number(length) : byteLength(buffer) - Number(offset ?? 0);
        return size >= LARGE_RANDOM_BYTES;
      });
      break;
  }
  return list.filter((a) => typeof a.owner[a.key] === 'function');
}

export const ATOMICS_WAIT: SyncApi = { api: 'Atomics.wait', owner: Atomics as unknown as Record<string, unknown>, key: 'wait' };
