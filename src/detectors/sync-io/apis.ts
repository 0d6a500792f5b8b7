// Which synchronous APIs block the loop, and how to wrap each. One list: the detector wraps these.
import childProcess from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';

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

export function syncApis(): SyncApi[] {
  const list: SyncApi[] = [];
  const add = (module: string, owner: object, key: string, when?: SyncApi['when']) =>
    list.push({ api: `${module}.${key}`, owner: owner as Record<string, unknown>, key, when });

  for (const key of Object.keys(fs)) if (key.endsWith('Sync')) add('fs', fs, key);
  for (const key of ['execSync', 'execFileSync', 'spawnSync']) add('child_process', childProcess, key);
  for (const key of Object.keys(zlib)) if (key.endsWith('Sync')) add('zlib', zlib, key);
  for (const key of ['pbkdf2Sync', 'scryptSync', 'generateKeyPairSync', 'generateKeySync', 'generatePrimeSync']) {
    add('crypto', crypto, key);
  }
  add('crypto', crypto, 'randomBytes', (args) => typeof args[1] !== 'function' && Number(args[0]) >= LARGE_RANDOM_BYTES);
  add('crypto', crypto, 'randomFillSync', (args) => {
    const size = args[2] !== undefined ? Number(args[2]) : byteLength(args[0]) - Number(args[1] ?? 0);
    return size >= LARGE_RANDOM_BYTES;
  });
  list.push({ api: 'Atomics.wait', owner: Atomics as unknown as Record<string, unknown>, key: 'wait' });
  return list.filter((a) => typeof a.owner[a.key] === 'function');
}
