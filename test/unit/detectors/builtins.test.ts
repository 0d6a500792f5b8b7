// Wrapping builtin functions and waiting for builtins to load, in the test's own process (Node's real
// loader; the functions wrapped are put on objects of the test's own, so Node's modules stay as they are).
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import Module from 'node:module';
import { beginLookingForImports, isBuiltinLoaded, isWrapped, replaceFunction, whenBuiltinsLoad, wrappedMark, type BuiltinWatch } from '../../../src/detectors/builtins.js';

const require = createRequire(import.meta.url);
const loader = () => (Module as unknown as { _load: Function })._load;
const watches: BuiltinWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.stop();
});

describe('replaceFunction', () => {
  it('the wrapper takes the original\'s name, length and own properties, and its mark; undo puts the original back', () => {
    function original(a: number, b: number) {
      return a + b;
    }
    (original as unknown as Record<symbol, unknown>)[promisify.custom] = 'custom';
    (original as unknown as Record<string, unknown>).native = 'native';
    Object.defineProperty(original, wrappedMark('other'), { value: true }); // another detector's mark
    const owner: Record<string, unknown> = { add: original };
    const wrapper = function (this: unknown, ...args: unknown[]) {
      return (original as Function).apply(this, args);
    };
    const mark = wrappedMark('test');
    const undo = replaceFunction(owner, 'add', original, wrapper, mark);
    expect(owner.add).toBe(wrapper);
    expect([wrapper.name, wrapper.length]).toEqual(['original', 2]);
    expect((wrapper as unknown as Record<symbol, unknown>)[promisify.custom]).toBe('custom');
    expect((wrapper as unknown as Record<string, unknown>).native).toBe('native');
    expect(isWrapped(wrapper, mark)).toBe(true);
    expect(isWrapped(wrapper, wrappedMark('other'))).toBe(false);
    expect(isWrapped(original, mark)).toBe(false);
    undo();
    expect(owner.add).toBe(original);
  });

  it('undo leaves alone a function someone else put in place since', () => {
    const owner: Record<string, unknown> = { f: () => 1 };
    const undo = replaceFunction(owner, 'f', owner.f as Function, () => 2, wrappedMark('test'));
    const theirs = () => 3;
    owner.f = theirs;
    undo();
    expect(owner.f).toBe(theirs);
  });

  it('marks are per detector and shared across agent instances', () => {
    expect(wrappedMark('threadpool')).toBe(Symbol.for('asyncdebug.wrapped.threadpool'));
    expect(wrappedMark('')).toBe(Symbol.for('asyncdebug.wrapped'));
  });
});

describe('whenBuiltinsLoad', () => {
  const list = () => (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
  const watched = () => Object.getPrototypeOf(list()) !== Array.prototype;

  it('a loaded builtin at once; one not loaded yet the moment Node loads it, before its require returns; the list is left alone once none is pending', () => {
    expect(isBuiltinLoaded('fs')).toBe(true);
    expect(isBuiltinLoaded('trace_events')).toBe(false);
    const original = loader();
    const seen: string[] = [];
    watches.push(whenBuiltinsLoad(['fs', 'trace_events'], (name) => seen.push(name)));
    expect(seen).toEqual(['fs']);
    expect(loader()).toBe(original); // no hook on the CJS loader: Node's load list is watched
    expect(watched()).toBe(true);
    expect(Array.isArray(list()) && list() instanceof Array).toBe(true);
    require('node:trace_events');
    expect(seen).toEqual(['fs', 'trace_events']);
    expect(isBuiltinLoaded('trace_events')).toBe(true);
    expect(watched()).toBe(false);
  });

  it('`now` ones at once whether loaded or not; stop() stops watching', () => {
    const seen: string[] = [];
    const watch = whenBuiltinsLoad(['wasi', 'domain'], (name) => seen.push(name), ['wasi']);
    expect(seen).toEqual(['wasi']);
    expect(watched()).toBe(true);
    watch.stop();
    expect(watched()).toBe(false);
    require('node:domain');
    expect(seen).toEqual(['wasi']);
  });

  it('a builtin loaded by an ESM import is wrapped before the importer runs: a function it captures at its top level is the wrapper', async () => {
    const name = ['http2', 'readline', 'repl', 'inspector'].find((n) => !isBuiltinLoaded(n))!; // one the runner has not loaded
    const mark = wrappedMark('test-esm');
    watches.push(
      whenBuiltinsLoad([name], (n) => {
        const owner = require(`node:${n}`) as Record<string, unknown>;
        const key = Object.keys(owner).find((k) => typeof owner[k] === 'function' && /^[a-z]/.test(k))!;
        const original = owner[key] as Function;
        replaceFunction(owner, key, original, function (this: unknown, ...args: unknown[]) {
          return original.apply(this, args);
        }, mark);
      }),
    );
    // the importer captures a function of the builtin in its top level, before any loop turn
    const source = `import * as m from 'node:${name}'; export const captured = Object.values(m).filter((v) => typeof v === 'function' && v[Symbol.for('asyncdebug.wrapped.test-esm')] === true).length;`;
    const mod = (await import(`data:text/javascript,${encodeURIComponent(source)}`)) as { captured: number };
    expect(mod.captured).toBe(1);
    beginLookingForImports(); // nothing left to look for
  });

  it('an error thrown by a require while builtins are pending keeps the app\'s lines and has none of the agent\'s', () => {
    watches.push(whenBuiltinsLoad(['cluster'], () => {}));
    let error: Error | undefined;
    try {
      require('./no-such-module.cjs');
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(/Cannot find module/);
    expect(error?.stack).not.toContain('src/detectors/builtins.ts');
  });
});
