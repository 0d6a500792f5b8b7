// The agent's bundles load through V8's code cache in this user's private cache directory, and only there.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeCacheDir, codeCacheOn, loadBundle } from '../../src/code-cache.js';

const requireHere = createRequire(import.meta.url);
let root: string;
let bundle: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'asyncdebug-code-cache-'));
  bundle = join(root, 'bundle.cjs');
  // A CommonJS bundle like the agent's: module state, require, and an import() through the loader's.
  writeFileSync(
    bundle,
    `"use strict";\nlet calls = 0;\nexports.count = () => ++calls;\nexports.os = require('node:os').platform();\n` +
      `exports.file = __filename;\nexports.load = (url) => (typeof __asyncdebug_import === 'function' ? __asyncdebug_import(url) : import(url));\n`,
  );
});
afterEach(() => {
  delete requireHere.cache[bundle];
  rmSync(root, { recursive: true, force: true });
});

const env = () => ({ XDG_CACHE_HOME: join(root, 'cache') });
const load = () => {
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = env().XDG_CACHE_HOME;
  try {
    return loadBundle(bundle);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
};

describe('code cache', () => {
  it('a write keeps the directory bounded: files older than 30 days go, and the oldest beyond 24', () => {
    const dir = join(root, 'cache', 'asyncdebug');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const now = Date.now() / 1000;
    for (let i = 0; i < 40; i++) {
      const file = join(dir, `old-${i}.v8cache`);
      writeFileSync(file, 'x', { mode: 0o600 });
      utimesSync(file, now - 3600 * (i + 1), now - 3600 * (i + 1)); // one an hour older than the last
    }
    const stale = join(dir, 'stale.v8cache');
    writeFileSync(stale, 'x', { mode: 0o600 });
    utimesSync(stale, now - 31 * 24 * 3600, now - 31 * 24 * 3600);
    // Temp files of writers killed before their rename: the one older than an hour goes; one younger
    // (a write may be under way) and an old file not named as the cache's temp files stay.
    const orphan = 'bundle.cjs-v1-x64-1-2-abc.v8cache.4242-0.tmp';
    const writing = 'bundle.cjs-v1-x64-1-2-abc.v8cache.4343-1.tmp';
    for (const name of [orphan, writing, 'notes.tmp']) writeFileSync(join(dir, name), 'x', { mode: 0o600 });
    utimesSync(join(dir, orphan), now - 2 * 3600, now - 2 * 3600);
    utimesSync(join(dir, 'notes.tmp'), now - 2 * 3600, now - 2 * 3600);
    load().save?.();
    const all = readdirSync(dir);
    expect(all).not.toContain(orphan);
    expect(all).toContain(writing);
    expect(all).toContain('notes.tmp');
    const left = all.filter((f) => f.endsWith('.v8cache'));
    expect(left).toHaveLength(24);
    expect(left).not.toContain('stale.v8cache');
    expect(left.some((f) => f.startsWith('bundle.cjs-'))).toBe(true); // the one just written
    expect(left).toContain('old-0.v8cache');
    expect(left).not.toContain('old-39.v8cache');
  });

  it('runs the bundle as require() would, one instance in the require cache, and writes its cache new and private', async () => {
    const first = load();
    const mod = first.exports as { count(): number; os: string; file: string; load(url: string): Promise<{ platform(): string }> };
    expect(mod.os).toBe(process.platform);
    expect(mod.file).toBe(bundle);
    expect(mod.count()).toBe(1);
    expect(requireHere(bundle)).toBe(mod);
    expect(load().exports).toBe(mod); // already loaded: the same instance, nothing to write
    expect((await mod.load('node:os')).platform()).toBe(process.platform);
    expect(first.save).toBeTypeOf('function');
    first.save?.();
    const dir = join(root, 'cache', 'asyncdebug');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^bundle\.cjs-v.*\.v8cache$/);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);

    // A new instance (as in the next process) takes the cache: nothing to write.
    delete requireHere.cache[bundle];
    const second = load();
    expect(second.save).toBeNull();
    expect((second.exports as { count(): number }).count()).toBe(1);
  });

  it('a cache directory open to others, or not a directory, is not used: the bundle loads as before', () => {
    const dir = join(root, 'cache', 'asyncdebug');
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    expect(codeCacheDir(env())).toBeNull();
    const got = load();
    expect(got.save).toBeNull();
    expect((got.exports as { count(): number }).count()).toBe(1);
    expect(readdirSync(dir)).toHaveLength(0);
    rmSync(dir, { recursive: true });
    writeFileSync(dir, '');
    expect(codeCacheDir(env())).toBeNull();
  });

  it('ASYNC_DEBUG_CODE_CACHE=0 turns it off; a relative XDG_CACHE_HOME is not used', () => {
    expect(codeCacheOn({ ASYNC_DEBUG_CODE_CACHE: '0' })).toBe(false);
    expect(codeCacheOn({ ASYNC_DEBUG_CODE_CACHE: 'off' })).toBe(false);
    expect(codeCacheOn({})).toBe(true);
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative/dir', HOME: join(root, 'home') })).not.toContain('relative');
  });
});
