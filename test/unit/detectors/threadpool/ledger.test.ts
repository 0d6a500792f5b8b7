// The thread-pool ledger, driven by hand: the shared counters are a plain Int32Array (another thread is
// a test bumping them), the clocks are numbers the test moves, and a call site is whatever `below` says.
import { describe, expect, it } from 'vitest';
import {
  COMPLETED,
  COUNTERS_LENGTH,
  PoolLedger,
  SUBMITTED,
  topSubmitters,
  type ApiCalls,
  type PoolCall,
  type PoolEpisode,
  type PoolSite,
} from '../../../../src/detectors/threadpool/ledger.js';

interface Site extends PoolSite {
  name: string;
}

interface Report {
  id: string;
  ongoing: boolean;
  worstMs: number;
  queued: number;
  waited: number;
  worst: string | null;
  submitters: [string, number][];
}

function harness({ poolSize = 2, waitMs = 10 } = {}) {
  const counters = new Int32Array(COUNTERS_LENGTH);
  const time = { now: 0, active: 0, wall: 1_700_000_000_000, clockReads: 0 };
  const phase = { turned: true, exiting: false };
  const reports: Report[] = [];
  const siteReads: string[] = [];
  const sites = new Map<string, Site>();
  /** A wrapper stand-in per call site: the ledger hands it to the site reader. */
  const at = (name: string): Function => {
    const below = () => undefined;
    Object.defineProperty(below, 'name', { value: name });
    return below;
  };
  const ledger = new PoolLedger<Site>({
    counters,
    poolSize,
    waitMs,
    threadId: 7,
    phase,
    clock: {
      now: () => {
        time.clockReads++;
        return time.now;
      },
      loopActiveMs: () => time.active,
      wallMs: () => time.wall,
    },
    readSite(api, below) {
      siteReads.push(below.name);
      if (below.name === '') return null; // no frame to read
      let s = sites.get(below.name);
      if (!s) sites.set(below.name, (s = { api, name: below.name, inflight: 0 }));
      return s;
    },
    report(e: PoolEpisode<Site>, ongoing) {
      reports.push({
        id: e.id,
        ongoing,
        worstMs: e.worstMs,
        queued: e.queued,
        waited: e.waited,
        worst: e.worst?.site?.name ?? null,
        submitters: topSubmitters(e, 3).map(([s, n]) => [s.name, n]),
      });
    },
  });
  const apis = new Map<string, ApiCalls<Site>>();
  /** A call of `api` from `site`; `calls` presets the API's count (to step past the sampled first calls). */
  const submit = (api: string, site: string, composite = false): PoolCall<Site> => {
    let calls = apis.get(api);
    if (!calls) apis.set(api, (calls = { api, calls: 0, last: null }));
    return ledger.submit(calls, composite, at(site));
  };
  const api = (name: string, calls: number) => apis.set(name, { api: name, calls, last: null });
  return { ledger, counters, time, phase, reports, siteReads, submit, api };
}

describe('thread-pool ledger', () => {
  it('calls that find a free pool thread wait for nothing, and no clock is read for them', () => {
    const h = harness({ poolSize: 4 });
    const calls = [1, 2, 3, 4].map(() => h.submit('crypto.pbkdf2', 'hash'));
    expect(h.ledger.inflight()).toBe(4);
    for (const c of calls) h.ledger.complete(c);
    expect([h.counters[SUBMITTED], h.counters[COMPLETED]]).toEqual([4, 4]);
    expect(h.time.clockReads).toBe(0);
    expect(h.ledger.current).toBeNull();
    expect(h.reports).toEqual([]);
    expect(calls.every((c) => !c.episode && c.resolved && c.done)).toBe(true);
  });

  it('a call made with the pool full waits until the completion that frees a thread: one episode, written when the wait crosses the threshold and when it ends', () => {
    const h = harness({ poolSize: 2, waitMs: 10 });
    const a = h.submit('crypto.pbkdf2', 'hash');
    const b = h.submit('crypto.pbkdf2', 'hash');
    const c = h.submit('fs.stat', 'stat');
    expect(c.episode).toBe(h.ledger.current);
    expect([c.resolved, c.target]).toEqual([false, 1]);
    h.time.now = 30;
    h.ledger.complete(a); // frees the thread c waited for
    expect(h.reports).toEqual([
      { id: 'pool-7-1', ongoing: true, worstMs: 30, queued: 1, waited: 1, worst: 'stat', submitters: [['hash', 2], ['stat', 1]] },
    ]);
    expect(h.ledger.current).not.toBeNull(); // b and c still fill the pool
    h.time.now = 40;
    h.ledger.complete(b);
    expect(h.ledger.current).toBeNull();
    expect(h.reports.map((r) => [r.ongoing, r.worstMs])).toEqual([[true, 30], [false, 30]]);
    h.ledger.complete(c);
    expect(h.ledger.reported).toBe(1);
    expect(h.reports).toHaveLength(2);
  });

  it('an episode has the wall-clock time it started, and the next one a new id', () => {
    const h = harness({ poolSize: 1, waitMs: 1 });
    for (const round of [1, 2]) {
      h.time.wall += 1000;
      const a = h.submit('fs.stat', 'stat');
      const b = h.submit('fs.stat', 'stat');
      expect(b.episode?.time).toBe(h.time.wall);
      h.time.now += 5;
      h.ledger.complete(a);
      h.ledger.complete(b);
      expect(h.reports.at(-1)).toMatchObject({ id: `pool-7-${round}`, ongoing: false });
    }
    expect(h.ledger.reported).toBe(2);
  });

  it('time the loop itself was busy during the wait is not the pool\'s', () => {
    const h = harness({ poolSize: 1, waitMs: 10 });
    h.time.active = 100;
    const a = h.submit('crypto.pbkdf2', 'hash');
    const b = h.submit('fs.stat', 'stat');
    h.time.now = 30;
    h.time.active = 125; // 25 of the 30 ms the loop was blocked: the callback could not run
    h.ledger.complete(a);
    h.ledger.complete(b);
    expect(b.episode?.worstMs).toBe(5);
    expect(h.reports).toEqual([]);
    expect(h.ledger.reported).toBe(0);
  });

  it('a worse wait is written again when it doubles, and every wait over the threshold is counted', () => {
    const h = harness({ poolSize: 1, waitMs: 10 });
    const calls = ['first', 'w12', 'w20', 'w30'].map((s) => h.submit('fs.stat', s));
    expect(h.ledger.current?.queued).toBe(3);
    for (const [i, t] of [12, 20, 30, 31].entries()) {
      h.time.now = t;
      h.ledger.complete(calls[i]!);
    }
    expect(h.reports.map((r) => [r.ongoing, r.worstMs, r.worst])).toEqual([
      [true, 12, 'w12'],
      [true, 30, 'w30'], // 20 is worse than 12 but not twice as bad
      [false, 30, 'w30'],
    ]);
    expect(h.reports.at(-1)?.waited).toBe(3);
  });

  it('a call completed before the count says it started waited until its completion at most', () => {
    const h = harness({ poolSize: 1, waitMs: 10 });
    const a = h.submit('crypto.pbkdf2', 'hash');
    const b = h.submit('fs.stat', 'stat');
    h.time.now = 20;
    h.ledger.complete(b);
    expect(h.reports.map((r) => [r.ongoing, r.worstMs])).toEqual([[true, 20]]);
    h.ledger.complete(a);
    expect(h.reports.map((r) => r.ongoing)).toEqual([true, false]);
  });

  it('other threads\' calls fill the pool too, and their completions start this thread\'s queued calls', () => {
    const h = harness({ poolSize: 2, waitMs: 10 });
    Atomics.add(h.counters, SUBMITTED, 2); // two calls of another thread in the pool
    const c = h.submit('fs.stat', 'stat');
    expect(c.resolved).toBe(false);
    h.time.now = 15;
    Atomics.add(h.counters, COMPLETED, 1); // the other thread's first call completes: c starts
    h.time.now = 50;
    h.ledger.flush(); // at exit: the start is seen now, and the episode ends
    expect(h.reports.map((r) => [r.ongoing, r.worstMs, r.submitters])).toEqual([
      [true, 50, [['stat', 1]]],
      [false, 50, [['stat', 1]]],
    ]);
    expect(h.ledger.current).toBeNull();
  });

  it('chains of short requests (readFile) wait for the pool but neither fill it nor count as submitters', () => {
    const h = harness({ poolSize: 2, waitMs: 10 });
    const a = h.submit('crypto.pbkdf2', 'hash');
    const b = h.submit('crypto.pbkdf2', 'hash');
    const r1 = h.submit('fs.readFile', 'read', true);
    const r2 = h.submit('fs.readFile', 'read', true);
    expect(h.counters[SUBMITTED]).toBe(2);
    expect(h.ledger.current?.queued).toBe(1); // both wait for the same completion
    h.time.now = 15;
    h.ledger.complete(a);
    h.ledger.complete(r1);
    h.ledger.complete(r2);
    expect(h.counters[COMPLETED]).toBe(1);
    expect(r1.site?.inflight).toBe(0); // never counted in flight
    h.ledger.complete(b);
    expect(h.reports.map((r) => [r.ongoing, r.worstMs, r.waited, r.submitters])).toEqual([
      [true, 15, 1, [['hash', 2]]],
      [false, 15, 2, [['hash', 2]]],
    ]);
  });

  it('before the first loop turn and at exit, nothing is judged and no clock is read', () => {
    const h = harness({ poolSize: 1 });
    h.phase.turned = false;
    const early = [1, 2, 3].map(() => h.submit('fs.stat', 'stat'));
    h.phase.turned = true;
    h.phase.exiting = true;
    const late = [1, 2, 3].map(() => h.submit('fs.stat', 'stat'));
    for (const c of [...early, ...late]) h.ledger.complete(c);
    expect(h.ledger.current).toBeNull();
    expect(h.time.clockReads).toBe(0);
    expect(h.reports).toEqual([]);
  });

  it('a call that threw before reaching the pool waited for nothing, and frees its place', () => {
    const h = harness({ poolSize: 1, waitMs: 10 });
    const a = h.submit('crypto.pbkdf2', 'hash');
    const bad = h.submit('fs.stat', 'stat');
    h.time.now = 100;
    h.ledger.unsent(bad);
    expect(bad.done).toBe(true);
    expect(h.counters[COMPLETED]).toBe(1);
    h.ledger.complete(a);
    h.ledger.complete(bad); // once is enough
    expect(h.counters[COMPLETED]).toBe(2);
    expect(h.ledger.current).toBeNull();
    expect(h.reports).toEqual([]);
  });

  it('sites are read for the sampled calls; the calls between are the last site\'s, estimated', () => {
    const h = harness({ poolSize: 1000 });
    const calls = Array.from({ length: 40 }, (_, i) => h.submit('fs.stat', `line${i + 1}`));
    expect(h.siteReads).toEqual([...Array.from({ length: 16 }, (_, i) => `line${i + 1}`), 'line32']);
    expect(calls[16]).toMatchObject({ estimated: true, site: { name: 'line16' } });
    expect(calls[31]).toMatchObject({ estimated: false, site: { name: 'line32' } });
    expect(calls[39]?.site?.name).toBe('line32');
    // A read that finds no frame keeps the API's last site.
    const unknown = h.submit('fs.stat', '');
    expect(unknown.site?.name).toBe('line32');
    expect(calls[31]?.site?.inflight).toBe(10); // line32's calls in flight: the 32nd to the 40th, and the last
  });

  it('queued calls have their site read too: the first 4 of an episode, at most 32 a second', () => {
    const h = harness({ poolSize: 1, waitMs: 1000 });
    h.api('fs.stat', 4100); // past the calls sampled anyway (none up to 5120)
    const episode = () => {
      const first = h.submit('fs.stat', 'fill');
      const queued = [1, 2, 3, 4, 5].map((i) => h.submit('fs.stat', `q${i}`));
      for (const c of [first, ...queued]) h.ledger.complete(c);
    };
    episode();
    expect(h.siteReads).toEqual(['q1', 'q2', 'q3', 'q4']);
    h.siteReads.length = 0;
    for (let i = 0; i < 8; i++) episode();
    expect(h.siteReads).toHaveLength(28); // 32 in this second in all
    h.time.now = 1000;
    h.siteReads.length = 0;
    h.api('fs.stat', 4100);
    episode();
    expect(h.siteReads).toEqual(['q1', 'q2', 'q3', 'q4']);
  });

  it('a long queue: every call resolves in order, and the worst wait is written at each doubling', () => {
    const h = harness({ poolSize: 1, waitMs: 10 });
    const calls = Array.from({ length: 3001 }, () => h.submit('fs.stat', 'stat'));
    for (const [i, c] of calls.entries()) {
      h.time.now = 20 * (i + 1);
      h.ledger.complete(c);
    }
    const worst = h.reports.map((r) => r.worstMs);
    expect(h.reports.at(-1)).toMatchObject({ ongoing: false, worstMs: 60_000, waited: 3000, queued: 3000 });
    expect(h.reports.slice(0, -1).every((r) => r.ongoing)).toBe(true);
    for (let i = 1; i < worst.length - 1; i++) expect(worst[i]).toBeGreaterThanOrEqual(2 * worst[i - 1]!);
    expect(worst[0]).toBe(20);
    expect(calls.every((c) => c.resolved && c.done)).toBe(true);
  });

  it('the shared counts may wrap around (Int32): a queued call still starts at the right completion', () => {
    const h = harness({ poolSize: 2, waitMs: 10 });
    h.counters[SUBMITTED] = 0x7fffffff - 1;
    h.counters[COMPLETED] = 0x7fffffff - 1;
    const a = h.submit('fs.stat', 'stat');
    const b = h.submit('fs.stat', 'stat'); // the submitted count wraps here
    const c = h.submit('fs.stat', 'stat');
    expect(h.counters[SUBMITTED]).toBeLessThan(0);
    expect(c.resolved).toBe(false);
    h.time.now = 12;
    h.ledger.complete(b);
    expect(h.reports.map((r) => [r.ongoing, r.worstMs])).toEqual([[true, 12]]);
    h.ledger.complete(a);
    h.ledger.complete(c);
    expect(h.ledger.current).toBeNull();
  });

  it('a queued call whose start the completion count passed (wrapping around) before this thread looked', () => {
    const h = harness({ poolSize: 3, waitMs: 10 });
    h.counters[SUBMITTED] = -0x80000000; // wrapped already
    h.counters[COMPLETED] = 0x7fffffff - 2; // three calls of another thread in the pool
    const c = h.submit('fs.stat', 'stat');
    expect(c.target).toBe(0x7fffffff - 1);
    h.time.now = 15;
    Atomics.add(h.counters, COMPLETED, 3); // the other thread's three calls complete: the count wraps
    h.ledger.flush();
    expect(h.reports.map((r) => [r.ongoing, r.worstMs])).toEqual([[true, 15], [false, 15]]);
  });

  it('top submitters: most calls first, at most n, ties in the order they came', () => {
    const site = (name: string): Site => ({ api: 'x', name, inflight: 0 });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(site) as [Site, Site, Site, Site];
    const e = { submitters: new Map([[a, 1], [b, 5], [c, 1], [d, 3]]) } as PoolEpisode<Site>;
    expect(topSubmitters(e, 3).map(([s, n]) => [s.name, n])).toEqual([['b', 5], ['d', 3], ['a', 1]]);
  });
});
