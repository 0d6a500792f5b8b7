// One open block driven with plain stack reads and times, no registry and no stack reader: how reads
// are weighed and credited, and the finding they make.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OpenBlock, type BlockRules } from '../../../../src/detectors/block/open-block.js';
import type { Frame } from '../../../../src/finding.js';
import type { RawFrame } from '../../../../src/frames/frames.js';
import type { RequestState } from '../../../../src/request-state.js';

const APP = '/app/server.js';
const at = (line: number, fn = 'handler', file = APP): RawFrame => ({ function: fn, file, line, column: 5 });
const TIMERS: RawFrame = { function: 'listOnTimeout', file: 'node:internal/timers', line: 581, column: 17 };
const TICKS: RawFrame = { function: 'processTicksAndRejections', file: 'node:internal/process/task_queues', line: 1, column: 1 };
const LOADER: RawFrame = { function: 'Module._load', file: 'node:internal/modules/cjs/loader', line: 1, column: 1 };
const REQUIRE: RawFrame = { function: 'require', file: 'node:internal/modules/helpers', line: 1, column: 1 };
const HTTP_END: RawFrame = { function: 'end', file: 'node:_http_outgoing', line: 1, column: 1 };
// The agent's sync-API wrapper, as the agent's own code (dist/ of this package).
const WRAPPER: RawFrame = { function: 'pbkdf2Sync', file: fileURLToPath(new URL('../../../../dist/agent/thread-agent.js', import.meta.url)), line: 700, column: 3 };
const PBKDF2: RawFrame = { function: 'pbkdf2Sync', file: 'node:internal/crypto/pbkdf2', line: 78, column: 17 };

const BEAT = 1000;
const GEN = 7;
const RULES: BlockRules = { slowMs: 100, sampleMs: 20, cwd: '/app', trace: false };

function open(rules: Partial<BlockRules> = {}, onSite?: (frames: Frame[]) => void): OpenBlock {
  return new OpenBlock(BEAT, GEN, { ...RULES, ...rules }, onSite);
}

/** Prompt reads of `raw` every 10 ms, answered at `from`, `from + 10` ... up to `to` (serving `request`). */
function reads(b: OpenBlock, raw: RawFrame[], from: number, to: number, starting = false, request?: RequestState): void {
  for (let t = from; t <= to; t += 10) expect(b.read({ raw, askedAt: t - 1, answeredAt: t, late: false, starting, request })).toBe(true);
}

const req = (id: number, path: string, route?: string, span?: string): RequestState => ({
  id, method: 'GET', path, ...(route ? { route } : {}), ...(span ? { traceId: 'a'.repeat(32), spanId: span } : {}),
});

describe('open block', () => {
  it('is named by the site that held the loop longest, with each site\'s share in the profile', () => {
    const b = open();
    reads(b, [at(20), TIMERS], 1010, 1150);
    reads(b, [at(21), TIMERS], 1160, 1600);
    b.id = 'block-0-1';
    const f = b.finding(1600, false, 0, undefined)!;
    expect(f).toMatchObject({ kind: 'block', id: 'block-0-1', time: BEAT, threadId: 0, durationMs: 600, ongoing: false, samples: 60 });
    expect(f.site).toEqual({ file: APP, line: 21, column: 5, function: 'handler' });
    expect(f.frames.map((x) => x.function)).toEqual(['handler', 'listOnTimeout']);
    expect(f.profile).toEqual([
      { site: f.site, samples: 45, share: 0.75 },
      { site: { file: APP, line: 20, column: 5, function: 'handler' }, samples: 15, share: 0.25 },
    ]);
    expect(f.message).toBe('The event loop of the main thread was blocked for 600 ms, 75% of it at handler (server.js:21:5).');
    expect(f.origin).toBeUndefined();
  });

  it('says "has not turned" while ongoing and "was blocked" once over; one site needs no share', () => {
    const b = open();
    reads(b, [at(12), TIMERS], 1010, 1300);
    b.id = 'block-3-1';
    expect(b.finding(1300, true, 3, 'resizer')).toMatchObject({
      ongoing: true,
      durationMs: 300,
      threadName: 'resizer',
      message: 'The event loop of the worker thread 3 "resizer" has not turned for 300 ms at handler (server.js:12:5).',
    });
    reads(b, [at(12), TIMERS], 1310, 1500);
    expect(b.finding(1520, false, 3, undefined)).toMatchObject({
      ongoing: false,
      durationMs: 520,
      message: 'The event loop of the worker thread 3 was blocked for 520 ms at handler (server.js:12:5).',
    });
  });

  it('a late read in a callee is time outside JavaScript in a call between the last prompt site and the site it came back to', () => {
    const b = open();
    reads(b, [at(30), TIMERS], 1010, 1010);
    // Asked at 1020, answered 400 ms later: until 1020 the thread was where the prompt read saw it.
    expect(b.read({ raw: [HTTP_END, at(31), TIMERS], askedAt: 1020, answeredAt: 1420, late: true, starting: false })).toBe(true);
    b.id = 'block-0-1';
    const f = b.finding(1420, false, 0, undefined)!;
    expect(f.site!.line).toBe(31);
    expect(f.origin).toMatchObject({ type: 'native', after: { file: APP, line: 30 } });
    expect(f.origin!.frames[0]!.function).toBe('end');
    // The replayed prompt read weighs but is no read of its own.
    expect(f.samples).toBe(2);
    expect(f.profile).toEqual([
      { site: f.site, samples: 1, share: 0.95 },
      { site: expect.objectContaining({ line: 30 }), samples: 1, share: 0.05 },
    ]);
    expect(f.message).toBe(
      'The event loop of the main thread was blocked for 420 ms outside JavaScript (JSON, a regular expression, a native addon or compilation), in a call between server.js:30:5 and server.js:31:5.',
    );
  });

  it('a late read with no prompt read before it names only where the call returned', () => {
    const b = open();
    b.read({ raw: [HTTP_END, at(31), TIMERS], askedAt: 1100, answeredAt: 1400, late: true, starting: false });
    b.id = 'block-0-1';
    const f = b.finding(1400, false, 0, undefined)!;
    expect(f.origin?.type).toBe('native');
    expect(f.origin?.after).toBeUndefined();
    expect(f.message).toContain('in a call that returned at handler (server.js:31:5).');
  });

  it('a late read inside the app\'s own code, or at the last prompt read\'s instruction, is JavaScript that did not get the CPU', () => {
    const inApp = open();
    inApp.read({ raw: [at(52), TIMERS], askedAt: 1100, answeredAt: 1300, late: true, starting: false });
    inApp.id = 'a';
    expect(inApp.finding(1300, false, 0, undefined)!.origin).toBeUndefined();

    const sameTop = open();
    reads(sameTop, [HTTP_END, at(53), TIMERS], 1010, 1010);
    sameTop.read({ raw: [HTTP_END, at(53), TIMERS], askedAt: 1020, answeredAt: 1300, late: true, starting: false });
    sameTop.id = 'b';
    const f = sameTop.finding(1300, false, 0, undefined)!;
    expect(f.origin).toBeUndefined();
    expect(f.message).not.toContain('outside JavaScript');
  });

  it('a require after start-up is a module load, named at the app\'s call', () => {
    const b = open();
    reads(b, [REQUIRE, at(50, 'lazy'), TIMERS], 1010, 1200);
    b.id = 'block-0-1';
    const f = b.finding(1200, false, 0, undefined)!;
    expect(b.startupMs).toBe(0);
    expect(f.site!.line).toBe(50);
    expect(f.origin?.type).toBe('module-load');
    expect(f.message).toBe(
      "The event loop of the main thread was blocked for 200 ms loading a module on first use (a lazy require or import, or Node's own, e.g. undici at the first fetch): a one-time warm-up, at lazy (server.js:50:5).",
    );
  });

  it('a sync API in flight is named at its call site, without the agent\'s wrapper', () => {
    const b = open();
    reads(b, [PBKDF2, WRAPPER, at(44), TIMERS], 1010, 1200);
    b.id = 'block-0-1';
    const f = b.finding(1200, false, 0, undefined)!;
    expect(f.origin).toMatchObject({ type: 'sync-api', api: 'crypto.pbkdf2Sync' });
    expect(f.frames.map((x) => x.line)).toEqual([44, 581]);
    expect(f.message).toBe('The event loop of the main thread was blocked for 200 ms in crypto.pbkdf2Sync called at handler (server.js:44:5).');
  });

  it('start-up: reads under the module loader are not the app; the block begins where they end', () => {
    const b = open();
    reads(b, [at(3, '<anonymous>', '/app/main.js'), LOADER], 1010, 1300, true);
    expect(b.named).toBe(false);
    expect(b.startupMs).toBe(300);
    expect(b.appStart).toBe(1300);
    reads(b, [at(9, 'onListening'), TICKS], 1310, 1500, true);
    b.id = 'block-0-1';
    expect(b.finding(1500, false, 0, undefined)).toMatchObject({ site: { line: 9 }, durationMs: 200, time: 1300 });
  });

  it('the first read of a starting thread, long after the beat, counts all but one read interval as start-up', () => {
    const starting = open();
    reads(starting, [at(9), TICKS], 1500, 1500, true);
    expect(starting.startupMs).toBe(480); // 500 ms since the beat, less one sampleMs (20)
    expect(starting.appStart).toBe(1480);

    // Not starting (its loop turned before), or a first read in time: all of it is the app's.
    const started = open();
    reads(started, [at(9), TICKS], 1500, 1500, false);
    expect(started.startupMs).toBe(0);
    expect(started.appStart).toBe(BEAT);
    const prompt = open();
    reads(prompt, [at(9), TICKS], 1140, 1140, true); // 140 = slowMs + 2 sampleMs: not longer
    expect(prompt.startupMs).toBe(0);
  });

  it('a read in the heartbeat ends the block; a read with no application frame is weighed but names nothing', () => {
    const b = open();
    expect(b.read({ raw: [{ function: 'asyncdebugHeartbeat', file: 'node:x', line: 1, column: 1 }, TIMERS], askedAt: 1009, answeredAt: 1010, late: false, starting: false })).toBe(false);
    expect(b.samples).toBe(0);
    b.read({ raw: [], askedAt: 1019, answeredAt: 1020, late: false, starting: false });
    b.read({ raw: [{ function: 'emitHook', file: 'node:internal/async_hooks', line: 1, column: 1 }], askedAt: 1029, answeredAt: 1030, late: false, starting: false });
    expect(b.named).toBe(false);
    expect(b.unnamedMs).toBe(30);
    b.id = 'block-0-1';
    expect(b.finding(1030, false, 0, undefined)).toBeNull();
    // Unnamed time still counts in the shares once a site is named.
    reads(b, [at(70), TIMERS], 1040, 1060);
    expect(b.finding(1060, false, 0, undefined)!.profile).toEqual([{ site: expect.objectContaining({ line: 70 }), samples: 3, share: 0.5 }]);
  });

  it('keeps 32 sites (later ones weigh as unnamed) and lists the heaviest five', () => {
    const b = open();
    let t = 1000;
    for (let line = 1; line <= 33; line++) {
      t += 10 * line;
      b.read({ raw: [at(line), TIMERS], askedAt: t - 1, answeredAt: t, late: false, starting: false });
    }
    b.id = 'block-0-1';
    const f = b.finding(t, false, 0, undefined)!;
    expect(f.profile!.map((p) => p.site.line)).toEqual([32, 31, 30, 29, 28]);
    expect(f.site!.line).toBe(32);
    expect(b.unnamedMs).toBe(330);
  });

  it('tells which reads named a site (the watcher asks the thread for their source maps)', () => {
    const seen: number[] = [];
    const b = open({}, (frames) => seen.push(frames[0]!.line));
    reads(b, [at(5), TIMERS], 1010, 1020);
    b.read({ raw: [TIMERS], askedAt: 1029, answeredAt: 1030, late: false, starting: false });
    expect(seen).toEqual([5, 5]);
  });

  it('keeps the reads of the app\'s part for a .cpuprofile only when the rules say so', () => {
    const traced = open({ trace: true });
    reads(traced, [at(3, '<anonymous>', '/app/main.js'), LOADER], 1010, 1100, true);
    reads(traced, [at(9), TICKS], 1110, 1200, true);
    const samples = traced.profileSamples();
    expect(samples.map((s) => s.at)).toEqual([1110, 1120, 1130, 1140, 1150, 1160, 1170, 1180, 1190, 1200]);
    expect(samples[0]!.frames[0]).toMatchObject({ file: APP, line: 9 });

    const plain = open();
    reads(plain, [at(9), TICKS], 1010, 1200);
    expect(plain.profileSamples()).toEqual([]);
  });

  it('debug mode: takes the callback the thread answered only from its own loop turn and callback', () => {
    const b = open();
    reads(b, [at(30), TIMERS], 1010, 1200);
    const answer = { gen: GEN, type: 'timer', api: 'setTimeout', scheduled: [['/app/boot.js', 3, 4, 'start'], ['node:internal/x', 1, 1, 'x']] as [string, number, number, string][] };
    expect(b.takeCallback({ ...answer, gen: GEN + 1 })).toBe(false);
    expect(b.takeCallback({ ...answer, outer: ['/app/other.js', 1, 1, 'y'] })).toBe(false);
    expect(b.callback).toBeNull();
    expect(b.takeCallback({ ...answer, outer: ['node:internal/timers', 500, 1, 'processTimers'] })).toBe(true);
    b.id = 'block-0-1';
    const f = b.finding(1200, false, 0, undefined)!;
    expect(f.callback).toEqual({ type: 'timer', api: 'setTimeout', scheduledAt: [{ file: '/app/boot.js', line: 3, column: 4, function: 'start' }, { file: 'node:internal/x', line: 1, column: 1, function: 'x' }] });
    // Nothing more specific held the loop: the callback is the origin.
    expect(f.origin).toEqual({ type: 'timer', api: 'setTimeout', frames: f.callback!.scheduledAt });
    expect(f.message).toBe('The event loop of the main thread was blocked for 200 ms at handler (server.js:30:5). It ran in a setTimeout callback scheduled at boot.js:3:4.');
  });

  it('a helper called by two phases: named by the helper and its heavy caller, with each way\'s share', () => {
    const b = open();
    reads(b, [at(3, 'spin'), at(7, 'validate'), at(20, 'handler'), TIMERS], 1010, 1130);
    reads(b, [at(3, 'spin'), at(11, 'renderReport'), at(21, 'handler'), TIMERS], 1140, 1730);
    b.id = 'block-0-1';
    const f = b.finding(1730, false, 0, undefined)!;
    expect(f.site).toMatchObject({ line: 3, function: 'spin' });
    expect(f.caller).toEqual({ file: APP, line: 11, column: 5, function: 'renderReport' });
    expect(f.profile).toEqual([
      {
        site: f.site, samples: 73, share: 1,
        paths: [
          { caller: f.caller, samples: 60, share: 0.82 },
          { caller: { file: APP, line: 7, column: 5, function: 'validate' }, samples: 13, share: 0.18 },
        ],
      },
    ]);
    expect(f.message).toBe('The event loop of the main thread was blocked for 730 ms, 82% of it at spin (server.js:3:5) ← renderReport (server.js:11:5).');
  });

  it('the frames of such a block are the heavy way\'s, also when the light one ran last', () => {
    const b = open();
    reads(b, [at(3, 'spin'), at(11, 'renderReport'), at(21, 'handler'), TIMERS], 1010, 1600);
    reads(b, [at(3, 'spin'), at(7, 'validate'), at(20, 'handler'), TIMERS], 1610, 1730);
    b.id = 'block-0-1';
    const f = b.finding(1730, false, 0, undefined)!;
    expect(f.caller?.function).toBe('renderReport');
    expect(f.frames.map((x) => x.function)).toEqual(['spin', 'renderReport', 'handler', 'listOnTimeout']);
  });

  it('one way into the site, or ways that differ only outside the app\'s code: no caller', () => {
    const one = open();
    reads(one, [at(3, 'spin'), at(11, 'renderReport'), TIMERS], 1010, 1300);
    one.id = 'a';
    const f = one.finding(1300, false, 0, undefined)!;
    expect(f.caller).toBeUndefined();
    expect(f.profile![0]!.paths).toBeUndefined();
    // called straight from a timer, and from the app: the heavy way has no app caller to name
    const direct = open();
    reads(direct, [at(3, 'spin'), TIMERS], 1010, 1500);
    reads(direct, [at(3, 'spin'), at(7, 'validate'), TIMERS], 1510, 1600);
    direct.id = 'b';
    const g = direct.finding(1600, false, 0, undefined)!;
    expect(g.caller).toBeUndefined();
    expect(g.profile![0]!.paths).toEqual([{ caller: expect.objectContaining({ line: 7 }), samples: 10, share: 0.17 }]);
    expect(g.message).toBe('The event loop of the main thread was blocked for 600 ms at spin (server.js:3:5).');
  });

  it('a line is one site whatever column a read lands on: a loop of one line is all of the block', () => {
    const b = open();
    for (let t = 1010; t <= 1220; t += 10) {
      const column = t % 20 === 0 ? 5 : 31; // the call in the condition, the loop's back edge
      b.read({ raw: [{ ...at(22), column }, TIMERS], askedAt: t - 1, answeredAt: t, late: false, starting: false });
    }
    b.id = 'block-0-1';
    const f = b.finding(1221, false, 0, undefined)!;
    expect(f.profile).toHaveLength(1);
    expect(f.profile![0]!.share).toBe(1);
    expect(f.message).toMatch(/^The event loop of the main thread was blocked for 221 ms at handler \(server\.js:22:\d+\)\.$/);
  });

  it('what was weighed before start-up ended is not in the shares of the block after it', () => {
    const b = open();
    // a starting thread: reads with no application frame, one at a site, then the module loader
    b.read({ raw: [TICKS], askedAt: 1009, answeredAt: 1010, late: false, starting: true });
    reads(b, [at(5, 'init'), TICKS], 1020, 1100, true);
    reads(b, [at(3, '<anonymous>', '/app/main.js'), LOADER], 1110, 1400, true);
    expect(b.named).toBe(false);
    expect(b.startupMs).toBe(400);
    reads(b, [at(22), TIMERS], 1410, 1630, true);
    b.id = 'block-0-1';
    const f = b.finding(1631, false, 0, undefined)!;
    expect(f).toMatchObject({ durationMs: 231, time: 1400 });
    expect(f.profile).toEqual([{ site: expect.objectContaining({ line: 22 }), samples: 23, share: 1 }]);
    expect(f.message).toBe('The event loop of the main thread was blocked for 231 ms at handler (server.js:22:5).');
  });

  it('debug mode: a more specific origin stays the origin; the callback is added', () => {
    const b = open();
    reads(b, [PBKDF2, WRAPPER, at(44), TIMERS], 1010, 1200);
    expect(b.takeCallback({ gen: GEN, type: 'immediate', api: 'setImmediate', scheduled: [] })).toBe(true);
    b.id = 'block-0-1';
    const f = b.finding(1200, false, 0, undefined)!;
    expect(f.origin?.type).toBe('sync-api');
    expect(f.callback).toEqual({ type: 'immediate', api: 'setImmediate', scheduledAt: [] });
    expect(f.message).toMatch(/called at handler \(server\.js:44:5\)\. It ran in a setImmediate callback\.$/);
  });

  it('a block with no app frame under Node\'s ESM loader (linking a graph an import() asked for) is loading', () => {
    const LINK: RawFrame = { function: 'addJobsToDependencyGraph', file: 'node:internal/modules/esm/module_job', line: 453, column: 1 };
    const b = open();
    reads(b, [LINK, TICKS], 1010, 1300);
    expect(b.loadingShare()).toBe(1);
    const other = open();
    reads(other, [TICKS], 1010, 1300);
    expect(other.loadingShare()).toBe(0);
  });

  it('names the request its reads served, with the route once matched (the latest read of the request wins)', () => {
    const b = open();
    reads(b, [at(30), TIMERS], 1010, 1050, false, req(4, '/users/7'));
    reads(b, [at(30), TIMERS], 1060, 1300, false, req(4, '/users/7', '/users/:id', 'c'.repeat(16)));
    b.id = 'block-0-1';
    const f = b.finding(1300, false, 0, undefined)!;
    expect(f.request).toEqual({ method: 'GET', route: '/users/:id', routeFrom: 'framework', traceId: 'a'.repeat(32), spanId: 'c'.repeat(16) });
    expect(f.requests).toBeUndefined();
    expect(f.message).toBe('The event loop of the main thread was blocked for 300 ms serving GET /users/:id at handler (server.js:30:5).');
  });

  it('a block over callbacks of several requests names the heaviest and lists each part in order; a request seen once is no part', () => {
    const b = open();
    reads(b, [at(30), TIMERS], 1010, 1200, false, req(1, '/users/1'));
    reads(b, [at(31), TIMERS], 1210, 1210, false, req(2, '/health'));
    reads(b, [at(30), TIMERS], 1220, 1500, false, req(3, '/users/3'));
    b.id = 'block-0-1';
    const f = b.finding(1500, false, 0, undefined)!;
    expect(f.request).toEqual({ method: 'GET', route: '/users/3', routeFrom: 'path' });
    expect(f.requests).toEqual([
      { method: 'GET', route: '/users/1', routeFrom: 'path', time: 1000, durationMs: 200 },
      { method: 'GET', route: '/users/3', routeFrom: 'path', time: 1210, durationMs: 290 },
    ]);
    expect(f.message).toContain('blocked for 500 ms serving GET /users/3 and 1 other request at handler');
  });

  it('names no request when the reads found the block mostly outside any; none at all without request naming', () => {
    const b = open();
    reads(b, [at(30), TIMERS], 1010, 1100, false, req(1, '/a'));
    reads(b, [at(30), TIMERS], 1110, 1400);
    b.id = 'block-0-1';
    expect(b.finding(1400, false, 0, undefined)!.request).toBeUndefined();
    const plain = open();
    reads(plain, [at(30), TIMERS], 1010, 1300);
    plain.id = 'block-0-2';
    expect(plain.finding(1300, false, 0, undefined)).not.toHaveProperty('request');
  });

  it('debug mode before Node 24: the probe\'s request names the block when no read could', () => {
    const b = open();
    reads(b, [at(30), TIMERS], 1010, 1200);
    expect(b.takeCallback({ gen: GEN, type: 'promise', scheduled: [], request: req(9, '/report') })).toBe(true);
    b.id = 'block-0-1';
    expect(b.finding(1200, false, 0, undefined)!.request).toEqual({ method: 'GET', route: '/report', routeFrom: 'path' });
  });
});
