// Which synchronous APIs block the loop, and how to wrap each. One list: the detector wraps these.
import { createRequire } from 'node:module';

export interface SyncApi {
  /** `fs.readFileSync`, `Atomics.wait` … as reported in findings and matched by the allow-list. */
  api: string;
  owner: Record<string, unknown>;
  key: string;
  /** Only calls for which this holds are findings (e.g. randomBytes without a callback, large). */
  when?: (args: unknown[]) => boolean;
}

/** Random bytes below this are too quick to matter. */
const LARGE_RANDOM_BYTES = 64 * 1024;

function byteLength(value: unknown): number {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer ? value.byteLength : 0;
}

/** Builtins whose sync APIs are wrapped. Loading one costs 2-5 ms, so only loaded ones are wrapped. */
export const WRAPPED_MODULES = ['fs', 'child_process', 'zlib', 'crypto'] as const;
export type WrappedModule = (typeof WRAPPED_MODULES)[number];

const requireBuiltin = createRequire(import.meta.url);

export function syncApisOf(name: WrappedModule): SyncApi[] {
  const owner = requireBuiltin(`node:${name}`) as Record<string, unknown>;
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
      add('randomBytes', (args) => typeof args[1] !== 'function' && Number(args[0]) >= LARGE_RANDOM_BYTES);
      add('randomFillSync', (args) => {
        const size = args[2] !== undefined ? Number(args[2]) : byteLength(args[0]) - Number(args[1] ?? 0);
        return size >= LARGE_RANDOM_BYTES;
      });
      break;
  }
  return list.filter((a) => typeof a.owner[a.key] === 'function');
}

export const ATOMICS_WAIT: SyncApi = { api: 'Atomics.wait', owner: Atomics as unknown as Record<string, unknown>, key: 'wait' };
