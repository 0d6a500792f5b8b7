// How the promise tracker reads a root promise from the stack its hook saw: pure, given raw frames.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { belowHook, isModuleTopLevel, recordRoot, stillOfInterest, waitsFor, type PromiseRecord } from '../../../../src/detectors/promises/promise-record.js';
import type { RawFrame } from '../../../../src/frames/frames.js';

const f = (fn: string, file: string, line = 1): RawFrame => ({ function: fn, file, line, column: 1 });
const app = (fn: string, line = 1) => f(fn, '/app/server.js', line);
const builtin = (fn: string) => f(fn, '');
const AGENT = join(resolve(fileURLToPath(import.meta.url), '../../../../..'), 'dist/agent/thread-agent.cjs');

describe('belowHook', () => {
  it('steps past Node\'s hook dispatcher and cuts at the depth asked for', () => {
    const raw = [f('init', 'node:internal/promise_hooks'), app('save', 3), app('handler', 9), app('route', 20)];
    expect(belowHook(raw, 2)).toEqual([app('save', 3), app('handler', 9)]);
  });

  it('a promise an agent wrapper made in place of a Node API\'s is that API\'s, made by a Node function of its name', () => {
    const raw = [f('asyncdebugPoolPromise', AGENT), f('writeFile', AGENT), app('save', 3), f('x', AGENT), app('handler', 9)];
    expect(belowHook(raw, 10)).toEqual([f('writeFile', 'node:internal/asyncdebug-wrapped', 0), app('save', 3), app('handler', 9)].map((x) => ({ ...x, column: x.line ? 1 : 0 })));
  });
});

describe('recordRoot', () => {
  const now = () => 1234;

  it('an async function called by the app: its caller is the site, and it can be unawaited', () => {
    const r = recordRoot([app('save', 3), app('handler', 9)], now)!;
    expect(r).toMatchObject({ creator: 'async', name: 'save', candidate: true, appMade: false, time: 1234, consumed: false, settled: false, watched: false });
    expect(r.raw).toEqual([app('handler', 9)]);
  });

  it('an async main() at a module\'s top level is an entry point, not a candidate', () => {
    const raw = [app('main', 3), f('', '/app/index.js', 30), f('Module._compile', 'node:internal/modules/cjs/loader')];
    expect(recordRoot(raw, now)?.candidate).toBe(false);
    expect(isModuleTopLevel(raw, 1)).toBe(true);
    expect(isModuleTopLevel([app('main'), app('run')], 0)).toBe(false);
  });

  it('new Promise in the app is the app\'s (may never settle) but a deferred, not a candidate', () => {
    expect(recordRoot([builtin('Promise'), app('waitFor', 5), app('handler', 9)], now)).toMatchObject({ creator: 'new', name: 'waitFor', candidate: false, appMade: true });
  });

  it('a Node API\'s promise returned to the app is a candidate and the app\'s', () => {
    const r = recordRoot([builtin('Promise'), f('readFile', 'node:internal/fs/promises'), app('load', 4)], now);
    expect(r).toMatchObject({ creator: 'new', name: 'readFile', candidate: true, appMade: true });
  });

  it('Promise.all in the app is the app\'s; an async generator\'s next() is not (its body awaits the leaf)', () => {
    expect(recordRoot([builtin('all'), app('handler')], now)).toMatchObject({ creator: 'builtin', name: 'Promise.all', candidate: false, appMade: true });
    expect(recordRoot([builtin('next'), app('handler')], now)).toMatchObject({ creator: 'builtin', name: 'next', appMade: false });
  });

  it('no app frame in sight (a library\'s or Node\'s own promise), or no stack: no record', () => {
    expect(recordRoot([f('connect', '/app/node_modules/db/index.js'), f('tick', 'node:internal/timers')], now)).toBeNull();
    expect(recordRoot([], now)).toBeNull();
  });
});

describe('consumers and interest', () => {
  it('a combinator calling then is no consumer that waits; code is', () => {
    expect(waitsFor([builtin('then'), builtin('all'), app('handler')])).toBe(false);
    expect(waitsFor([app('handler', 4)])).toBe(true);
    expect(waitsFor([])).toBe(true);
  });

  it('a record stays of interest while it may be unawaited, or is the app\'s and pending', () => {
    const r = recordRoot([app('save'), app('handler')])! as PromiseRecord;
    expect(stillOfInterest(r)).toBe(true);
    r.consumed = true;
    expect(stillOfInterest(r)).toBe(false);
    const d = recordRoot([builtin('Promise'), app('waitFor'), app('handler')])!;
    d.consumed = true;
    expect(stillOfInterest(d)).toBe(true);
    d.settled = true;
    expect(stillOfInterest(d)).toBe(false);
  });
});
