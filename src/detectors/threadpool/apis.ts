// Which APIs put work on the libuv thread pool, and how each reports completion. One list: the
// threadpool detector wraps these. A call counts as one piece of pool work while it is in flight:
// composite calls (readFile = open, fstat, reads, close) have at most one request in the pool at a time.
import { builtin } from '../../lazy-builtin.js';

export interface PoolApi {
  /** `fs.readFile`, `fs.promises.readFile`, `crypto.pbkdf2` … as reported in findings. */
  api: string;
  owner: Record<string, unknown>;
  key: string;
  /** `callback`: completion is the last argument being called; `promise`: the returned promise settling. */
  style: 'callback' | 'promise';
  /**
   * A chain of pool requests with JavaScript between them (readFile: open, fstat, reads, close): it holds
   * a pool thread only now and then, so it is not counted as filling the pool, only as waiting for it.
   */
  composite: boolean;
}

/** Builtins whose pool APIs are wrapped, each once the app has loaded it. */
// The promise APIs are their own entries: `fs.promises` loads a module of its own, not loaded by a CJS app
// that never uses it.
export const POOL_MODULES = ['fs', 'fs/promises', 'crypto', 'zlib', 'dns', 'dns/promises'] as const;
export type PoolModule = (typeof POOL_MODULES)[number];

// Not fs.watch/watchFile/streams/openAsBlob: they are no request in the pool of their own.
const FS_CALLBACK = [
  'access', 'appendFile', 'chmod', 'chown', 'close', 'copyFile', 'cp', 'fchmod', 'fchown', 'fdatasync', 'fstat',
  'fsync', 'ftruncate', 'futimes', 'lchown', 'link', 'lstat', 'lutimes', 'mkdir', 'mkdtemp', 'open', 'opendir',
  'read', 'readdir', 'readFile', 'readlink', 'readv', 'realpath', 'rename', 'rm', 'rmdir', 'stat', 'statfs',
  'symlink', 'truncate', 'unlink', 'utimes', 'write', 'writeFile', 'writev',
];
const FS_PROMISE = [
  'access', 'appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'lchown', 'link', 'lstat', 'lutimes', 'mkdir',
  'mkdtemp', 'open', 'opendir', 'readdir', 'readFile', 'readlink', 'realpath', 'rename', 'rm', 'rmdir', 'stat',
  'statfs', 'symlink', 'truncate', 'unlink', 'utimes', 'writeFile',
];
/** Chains of requests (see PoolApi.composite); every other API here is one request in the pool. */
const COMPOSITE = new Set([
  'fs.appendFile', 'fs.cp', 'fs.readFile', 'fs.realpath', 'fs.rm', 'fs.truncate', 'fs.writeFile',
  'fs.promises.appendFile', 'fs.promises.cp', 'fs.promises.readFile', 'fs.promises.rm', 'fs.promises.truncate',
  'fs.promises.writeFile', 'fs.promises.readdir',
]);
const CRYPTO = ['pbkdf2', 'scrypt', 'randomBytes', 'randomFill', 'generateKeyPair'];
const ZLIB = ['gzip', 'gunzip', 'deflate', 'inflate', 'deflateRaw', 'inflateRaw', 'unzip', 'brotliCompress', 'brotliDecompress'];

export function poolApisOf(name: PoolModule): PoolApi[] {
  // `fs.promises` is the object `fs/promises` exports; reached through `fs`, because requiring the public
  // `fs/promises` makes its ESM facade (4 ms here) for an app that may never import it.
  const owner = name.endsWith('/promises') ? (builtin(name.slice(0, -'/promises'.length)).promises as Record<string, unknown>) : builtin(name);
  const list: PoolApi[] = [];
  const add = (prefix: string, o: Record<string, unknown>, keys: string[], style: PoolApi['style']) => {
    for (const key of keys) if (typeof o[key] === 'function') {
      const api = `${prefix}.${key}`;
      list.push({ api, owner: o, key, style, composite: COMPOSITE.has(api) || prefix === 'zlib' });
    }
  };
  switch (name) {
    case 'fs':
      add('fs', owner, FS_CALLBACK, 'callback');
      break;
    case 'fs/promises':
      add('fs.promises', owner, FS_PROMISE, 'promise');
      break;
    case 'crypto':
      add('crypto', owner, CRYPTO, 'callback');
      break;
    case 'zlib':
      add('zlib', owner, ZLIB, 'callback');
      break;
    case 'dns':
      add('dns', owner, ['lookup', 'lookupService'], 'callback');
      break;
    case 'dns/promises':
      add('dns.promises', owner, ['lookup', 'lookupService'], 'promise');
      break;
  }
  return list;
}

/** The pool's size as libuv reads it (atoi; 0 means 1; at most 1024), 4 when unset. */
export function poolSizeFrom(raw: string | undefined): number {
  if (raw === undefined) return 4;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n <= 0) return 1;
  return Math.min(n, 1024);
}
