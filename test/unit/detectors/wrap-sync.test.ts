// The sync wrapper around real functions put on objects of the test's own.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { wrappedMark } from '../../../src/detectors/builtins.js';
import { wrapSyncFunction, type OnSyncCall } from '../../../src/detectors/wrap-sync.js';
import { mentionsAgentFile } from '../../../src/frames/agent-files.js';

const HERE = fileURLToPath(import.meta.url);
const MARK = wrappedMark('wrap-sync-test');

/** Runs the call as it is, noting what the detector was given. */
function recorder() {
  const seen: { self: unknown; args: unknown[]; wrapper: Function; limit: number }[] = [];
  const onCall: OnSyncCall = (original, self, args, wrapper) => {
    seen.push({ self, args: [...args], wrapper, limit: Error.stackTraceLimit });
    return original.apply(self, args);
  };
  return { seen, onCall };
}

describe('wrapSyncFunction', () => {
  it('the detector sees each call with its receiver and arguments, and the app gets the original\'s result', () => {
    const owner: Record<string, unknown> = { readFileSync };
    const { seen, onCall } = recorder();
    const unwrap = wrapSyncFunction(owner, 'readFileSync', MARK, onCall)!;
    const text = (owner.readFileSync as typeof readFileSync)(HERE, 'utf8');
    expect(text).toContain('wrapSyncFunction');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ self: owner, args: [HERE, 'utf8'], wrapper: owner.readFileSync });
    expect(wrapSyncFunction(owner, 'readFileSync', MARK, onCall)).toBeNull(); // wrapped already
    unwrap();
    expect(owner.readFileSync).toBe(readFileSync);
  });

  it('calls not observed run straight through; observe gets the first three arguments', () => {
    const owner: Record<string, unknown> = { join: (...parts: string[]) => parts.join('/') };
    const { seen, onCall } = recorder();
    const asked: unknown[][] = [];
    wrapSyncFunction(owner, 'join', MARK, onCall, (a0, a1, a2) => {
      asked.push([a0, a1, a2]);
      return a0 === 'seen';
    });
    const join = owner.join as (...p: string[]) => string;
    expect(join('a', 'b', 'c', 'd')).toBe('a/b/c/d');
    expect(join('seen', 'x')).toBe('seen/x');
    expect(asked).toEqual([['a', 'b', 'c'], ['seen', 'x', undefined]]);
    expect(seen.map((s) => s.args)).toEqual([['seen', 'x']]);
  });

  it('a wrapped call made inside another wrapped call (readFileSync\'s openSync) runs straight through', () => {
    const owner: Record<string, unknown> = {};
    owner.inner = (x: number) => x * 2;
    owner.outer = (x: number) => (owner.inner as (x: number) => number)(x) + 1;
    const { seen, onCall } = recorder();
    wrapSyncFunction(owner, 'inner', MARK, onCall);
    wrapSyncFunction(owner, 'outer', MARK, onCall);
    expect((owner.outer as (x: number) => number)(5)).toBe(11);
    expect(seen.map((s) => s.args)).toEqual([[5]]); // outer only
    expect((owner.inner as (x: number) => number)(5)).toBe(10);
    expect(seen).toHaveLength(2);
  });

  it('an error thrown through the wrapper keeps the app\'s frames and loses the agent\'s; the stack limit is raised by three while it runs', () => {
    const owner: Record<string, unknown> = { readFileSync };
    const { seen, onCall } = recorder();
    wrapSyncFunction(owner, 'readFileSync', MARK, onCall);
    const app = Error.stackTraceLimit;
    let error: Error | undefined;
    try {
      (owner.readFileSync as typeof readFileSync)(`${HERE}.missing`);
    } catch (err) {
      error = err as Error;
    }
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(error!.stack).toContain(HERE);
    expect(mentionsAgentFile(error!.stack!)).toBe(false);
    expect(seen[0]?.limit).toBe(app + 3);
    expect(Error.stackTraceLimit).toBe(app);
  });

  it('a method held under another name is the original while it runs, so V8 still names it `[as key]`', () => {
    function real(this: Record<string, unknown>) {
      return this.alias;
    }
    const owner: Record<string, unknown> = { alias: real };
    wrapSyncFunction(owner, 'alias', MARK, (original, self, args) => original.apply(self, args));
    const wrapper = owner.alias as () => unknown;
    expect(wrapper.call(owner)).toBe(real); // swapped in for the call
    expect(owner.alias).toBe(wrapper); // and back
    function named(this: Record<string, unknown>) {
      return this.named;
    }
    const same: Record<string, unknown> = { named };
    wrapSyncFunction(same, 'named', MARK, (original, self, args) => original.apply(self, args));
    const plain = same.named as () => unknown;
    expect(plain.call(same)).toBe(plain); // its own name: nothing to swap
  });

  it('after a throw, a method held under another name stays in place until the next turn, so the stack the app formats names it `[as key]`', async () => {
    function realThrower(): never {
      throw new Error('from the original');
    }
    const owner: Record<string, unknown> = { alias: realThrower };
    wrapSyncFunction(owner, 'alias', MARK, (original, self, args) => original.apply(self, args));
    const wrapper = owner.alias as () => never;
    let stack = '';
    try {
      wrapper.call(owner);
    } catch (err) {
      stack = (err as Error).stack ?? '';
    }
    expect(stack).toContain('realThrower [as alias]');
    expect(mentionsAgentFile(stack)).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(owner.alias).toBe(wrapper);
  });

  it('the stack limit is raised by the frames on the stack: one for a call not observed, three for one observed', () => {
    const owner: Record<string, unknown> = { f: () => Error.stackTraceLimit };
    const app = Error.stackTraceLimit;
    wrapSyncFunction(owner, 'f', MARK, (original, self, args) => original.apply(self, args), (a0) => a0 === 'seen');
    const f = owner.f as (a?: string) => number;
    expect(f()).toBe(app + 1);
    expect(f('seen')).toBe(app + 3);
    expect(Error.stackTraceLimit).toBe(app);
  });
});
