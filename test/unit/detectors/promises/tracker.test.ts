// The promise tracker on the test's own promises (V8's promise hooks, in this process).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { RootSampler, startTracker, type Tracker } from '../../../../src/detectors/promises/tracker.js';
import type { PromiseRecord } from '../../../../src/detectors/promises/promise-record.js';

let tracker: Tracker | null = null;
afterEach(() => {
  tracker?.stop();
  tracker = null;
});

async function save(): Promise<void> {}

describe('promise tracker', () => {
  it('records an async function\'s promise, sees it consumed and settled, and lets it go', async () => {
    tracker = startTracker(() => {});
    const p = save();
    const known = tracker.recordOf(p);
    expect(known?.derived).toBe(false);
    const r = known!.record;
    expect(r).toMatchObject({ creator: 'async', name: 'save', candidate: true, consumed: false, watched: true });
    expect([...tracker.watched()]).toContain(r);
    await p;
    expect(r).toMatchObject({ consumed: true, settled: true, awaited: false, watched: false });
    expect([...tracker.watched()]).not.toContain(r);
  });

  it('a then chain points to the root it started from; a promise it never saw has no record', async () => {
    tracker = startTracker(() => {});
    let release!: () => void;
    const root = new Promise<void>((resolve) => (release = resolve));
    const chain = root.then(() => 1).then((n) => n + 1);
    expect(tracker.recordOf(chain)).toEqual({ record: tracker.recordOf(root)!.record, derived: true });
    const r = tracker.recordOf(root)!.record;
    expect(r).toMatchObject({ creator: 'new', appMade: true, awaited: true, settled: false, watched: true });
    expect(r.awaitedBy?.length).toBeGreaterThan(0);
    release();
    expect(await chain).toBe(2);
    expect(r.settled).toBe(true);
    tracker.stop();
    expect(tracker.recordOf(save())).toBeUndefined(); // stopped: no more hooks
  });

  it('a promise the app made and dropped, still pending, is handed over when collected', async () => {
    const collected: PromiseRecord[] = [];
    tracker = startTracker((r) => collected.push(r));
    (() => {
      new Promise(() => {}); // eslint-disable-line no-new
    })();
    // A collection on demand: the flag set at run time, the function taken from a fresh context.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 10 && collected.length === 0; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(collected.map((r) => [r.creator, r.settled])).toEqual([['new', false]]);
  });
});

describe('RootSampler', () => {
  it('takes every root of the first 200 in a window of 100 ms, then one in 1024, and a sampled root renews the window after it', () => {
    let now = 0;
    const s = new RootSampler(() => now);
    const take = (n: number) => Array.from({ length: n }, () => s.take()).filter(Boolean).length;
    expect(take(200)).toBe(200);
    expect(take(823)).toBe(0); // roots 201..1023
    now = 50;
    expect(s.take()).toBe(true); // the 1024th, not renewing: under 100 ms
    expect(take(1023)).toBe(0);
    now = 100;
    expect(s.take()).toBe(true); // the 2048th, renewing the window
    expect(take(200)).toBe(200);
    expect(s.take()).toBe(false);
  });
});
