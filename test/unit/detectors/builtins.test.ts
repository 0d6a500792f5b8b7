// Wrapping builtin functions and waiting for builtins to load, in the test's own process (Node's real
// loader; the functions wrapped are put on objects of the test's own, so Node's modules stay as they are).
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import Module from 'node:module';
import { isBuiltinLoaded, isWrapped, replaceFunction, whenBuiltinsLoad, wrappedMark, type BuiltinWatch } from '../../../src/detectors/builtins.js';

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
  it('a loaded builtin at once; one not loaded yet as Node finishes loading it, before require() hands it out, with no hook on the loader', () => {
    expect(isBuiltinLoaded('fs')).toBe(true);
    expect(isBuiltinLoaded('trace_events')).toBe(false);
    const original = loader();
    const seen: string[] = [];
    const marker = () => 'wrapped';
    let real: unknown;
    watches.push(
      whenBuiltinsLoad(['fs', 'trace_events'], (name) => {
        seen.push(name);
        if (name !== 'trace_events') return;
        const mod = require('node:trace_events') as Record<string, unknown>;
        real = mod.getEnabledCategories;
        mod.getEnabledCategories = marker;
      }),
    );
    expect(seen).toEqual(['fs']);
    expect(loader()).toBe(original); // nothing of the agent's on require()'s stack
    // CJS destructuring right at the first require gets what the watch put there
    const { getEnabledCategories } = require('node:trace_events') as Record<string, unknown>;
    expect(seen).toEqual(['fs', 'trace_events']);
    expect(getEnabledCategories).toBe(marker);
    expect(isBuiltinLoaded('trace_events')).toBe(true);
    (require('node:trace_events') as Record<string, unknown>).getEnabledCategories = real;
    expect(Array.isArray((process as unknown as { moduleLoadList: unknown }).moduleLoadList)).toBe(true);
  });

  it('`now` ones at once whether loaded or not; after stop() nothing more is called', () => {
    const seen: string[] = [];
    const watch = whenBuiltinsLoad(['wasi', 'domain'], (name) => seen.push(name), ['wasi']);
    expect(seen).toEqual(['wasi']);
    watch.stop();
    require('node:domain');
    expect(seen).toEqual(['wasi']);
  });

  it('a builtin loaded by an ESM import is seen as it loads', async () => {
    const name = ['http2', 'readline', 'repl', 'inspector'].find((n) => !isBuiltinLoaded(n))!; // one the runner has not loaded
    const seen: string[] = [];
    watches.push(whenBuiltinsLoad([name], (n) => seen.push(n)));
    expect(seen).toEqual([]);
    await import(/* @vite-ignore */ `node:${name}`);
    expect(seen).toEqual([name]);
  });

  it('an error thrown by a require has none of the agent\'s lines', () => {
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
