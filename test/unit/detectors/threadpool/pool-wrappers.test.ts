// The pool wrappers around real Node APIs, each put on an object of the test's own (Node's modules stay
// as they are), counting into a real ledger.
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs';
import { lookup } from 'node:dns';
import { stat as statPromise } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isWrapped, wrappedMark } from '../../../../src/detectors/builtins.js';
import type { PoolApi } from '../../../../src/detectors/threadpool/apis.js';
import { COMPLETED, COUNTERS_LENGTH, PoolLedger, SUBMITTED, type PoolSite } from '../../../../src/detectors/threadpool/ledger.js';
import { wrapPoolApi } from '../../../../src/detectors/threadpool/pool-wrappers.js';

const HERE = fileURLToPath(import.meta.url);

function setup(fn: Function, style: PoolApi['style'], key = 'call', api = `test.${key}`) {
  const counters = new Int32Array(COUNTERS_LENGTH);
  const reads: Function[] = [];
  const ledger = new PoolLedger<PoolSite>({
    counters,
    poolSize: 4,
    waitMs: 10,
    threadId: 0,
    phase: { turned: true, exiting: false },
    clock: { now: () => performance.now(), loopActiveMs: () => 0, wallMs: () => Date.now() },
    readSite(api, below) {
      reads.push(below);
      return { api, inflight: 0 };
    },
    report() {},
  });
  const owner: Record<string, unknown> = { [key]: fn };
  const unwrap = wrapPoolApi({ api, owner, key, style, composite: false }, ledger);
  const counts = (): number[] => [Atomics.load(counters, SUBMITTED), Atomics.load(counters, COMPLETED)];
  return { owner, unwrap, counts, reads, ledger };
}

describe('pool wrappers', () => {
  /** The stack an error made in the callback has below the callback's own frame. */
  const below = (stack: string) => stack.split('\n').slice(2).join('\n');

  it('an fs callback call is submitted as it is made and completed as Node calls back; the callback gets what Node gave, on the stack it has without the agent', async () => {
    const { owner, counts, reads } = setup(stat, 'callback');
    const call = owner.call as typeof stat;
    const run = (fn: typeof stat) =>
      new Promise<{ stats: unknown; during: number[]; stack: string; self: unknown }>((resolve, reject) => {
        fn(HERE, function (this: unknown, err, stats) {
          if (err) reject(err);
          resolve({ stats, during: counts(), stack: new Error('here').stack ?? '', self: this });
        });
      });
    const bare = await run(stat);
    const result = await run(call);
    expect(result.during).toEqual([1, 1]); // completed before the app's callback runs
    expect((result.stats as { isFile(): boolean }).isFile()).toBe(true);
    expect(below(result.stack)).toBe(below(bare.stack));
    expect(result.self).toBe(bare.self);
    expect(reads).toEqual([owner.call]); // the site is read above the wrapper
  });

  it('a crypto callback is called through a Proxy that leaves no frame: same receiver, arguments and stack', async () => {
    const { owner, counts } = setup(randomBytes, 'callback', 'randomBytes', 'crypto.randomBytes');
    const run = (fn: typeof randomBytes) =>
      new Promise<{ length: number; during: number[]; stack: string; self: unknown }>((resolve, reject) => {
        fn(8, function (this: unknown, err, bytes) {
          if (err) reject(err);
          resolve({ length: bytes.length, during: counts(), stack: new Error('here').stack ?? '', self: this });
        });
      });
    const bare = await run(randomBytes);
    const result = await run(owner.randomBytes as typeof randomBytes);
    expect(result.during).toEqual([1, 1]);
    expect(result.length).toBe(8);
    expect(below(result.stack)).toBe(below(bare.stack));
    expect((result.self as object).constructor).toBe((bare.self as object).constructor); // a job of Node's per call
  });

  it('a dns lookup completes as Node calls back: the request it made is watched, and the callback is called as without the agent', async () => {
    const { owner, counts } = setup(lookup, 'callback', 'lookup', 'dns.lookup');
    const run = (fn: typeof lookup) =>
      new Promise<{ address: string; during: number[]; stack: string }>((resolve, reject) => {
        fn('localhost', function (this: unknown, err, address) {
          if (err) reject(err);
          resolve({ address: String(address), during: counts(), stack: new Error('here').stack ?? '' });
        });
      });
    const bare = await run(lookup);
    const result = await run(owner.lookup as typeof lookup);
    expect(result.during).toEqual([1, 1]);
    expect(result.address).toBe(bare.address);
    expect(below(result.stack)).toBe(below(bare.stack)); // `[as callback]` and all
  });

  it('an fs.promises call is judged as waiting, not counted as filling the pool, and gets what Node gave', async () => {
    const { owner, counts } = setup(statPromise, 'promise');
    const call = owner.call as typeof statPromise;
    const stats = await call(HERE);
    expect(stats.isFile()).toBe(true);
    await expect(call(`${HERE}.missing`)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(counts()).toEqual([0, 0]);
  });

  it('a promise call hands the app the very promise Node made: its error keeps the app\'s async frames', async () => {
    const { owner } = setup(statPromise, 'promise');
    const call = owner.call as typeof statPromise;
    async function appCaller(fn: typeof statPromise): Promise<string> {
      try {
        await fn(`${HERE}.missing`);
        return '';
      } catch (err) {
        return (err as Error).stack ?? '';
      }
    }
    const bare = await appCaller(statPromise);
    const watched = await appCaller(call);
    // up to the app's own async frame (the lines below it are the test's calls, on lines of their own)
    const upToApp = (stack: string) => stack.split('\n').slice(0, stack.split('\n').findIndex((l) => l.includes('appCaller')) + 1);
    expect(upToApp(bare).length).toBeGreaterThan(1);
    expect(upToApp(watched)).toEqual(upToApp(bare));
  });

  it('a call that throws before reaching the pool throws as it did, and leaves nothing in flight', () => {
    const { owner, counts } = setup(stat, 'callback');
    const call = owner.call as (p: unknown, cb: () => void) => void;
    expect(() => call(42, () => {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(counts()).toEqual([1, 1]);
  });

  it('a callback API called without a callback (randomBytes(n)) runs straight through, uncounted', () => {
    const { owner, counts } = setup(randomBytes, 'callback');
    const bytes = (owner.call as typeof randomBytes)(16);
    expect(bytes).toHaveLength(16);
    expect(counts()).toEqual([0, 0]);
  });

  it('the wrapper looks like the original, is not wrapped twice, and unwraps', () => {
    const { owner, unwrap, ledger } = setup(stat, 'callback', 'stat');
    const wrapper = owner.stat as Function;
    expect(wrapper).not.toBe(stat);
    expect([wrapper.name, wrapper.length]).toEqual([stat.name, stat.length]);
    expect(isWrapped(wrapper, wrappedMark('threadpool'))).toBe(true);
    expect(wrapPoolApi({ api: 'test.stat', owner, key: 'stat', style: 'callback', composite: false }, ledger)).toBeNull();
    unwrap?.();
    expect(owner.stat).toBe(stat);
  });
});
