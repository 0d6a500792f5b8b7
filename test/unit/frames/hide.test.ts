// The agent's frames kept out of the app's stacks: the stack-trace limit around a wrapper, and the filter
// on Error.prepareStackTrace (installed in the test's own process, on its real Error).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInThisContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { hideAgentFramesFromStacks, raiseStackLimit, restoreStackLimit, withoutAgentSites } from '../../../src/frames/hide.js';

const HERE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(HERE), '../../..');

describe('the stack filter', () => {
  const agentFile = join(ROOT, 'dist/agent/fake-wrapper.cjs');
  // A function defined in a file the agent owns, as its wrappers are: it calls what it is given.
  const throughAgent = runInThisContext('(function wrapper(fn) { return fn(); })', { filename: agentFile }) as <T>(fn: () => T) => T;
  const site = (file: string | null) => ({ getFileName: () => file });

  it('withoutAgentSites drops the call sites of the agent\'s files, and gives back the very array when there are none', () => {
    const app = [site('/app/server.js'), site('node:fs'), site(null)];
    expect(withoutAgentSites(app)).toBe(app);
    const mixed = [site('node:fs'), site(agentFile), site(pathToFileURL(agentFile).href), site('/app/server.js')];
    expect(withoutAgentSites(mixed).map((s) => s.getFileName())).toEqual(['node:fs', '/app/server.js']);
    expect(withoutAgentSites('a string')).toBe('a string');
  });

  it('Error.prepareStackTrace reads and sets as before, and the function in it gets the frames without the agent\'s', () => {
    const saved = Error.prepareStackTrace;
    try {
      hideAgentFramesFromStacks();
      hideAgentFramesFromStacks(); // once per thread
      const initial = Error.prepareStackTrace;
      expect(typeof initial).toBe('function');
      expect(Error.prepareStackTrace).toBe(initial); // the same function at each read
      // Node's default formatter, through the filter: no agent line, the app's lines kept
      const plain = throughAgent(() => new Error('plain'));
      expect(plain.stack).toContain(HERE);
      expect(plain.stack).not.toContain(agentFile);
      // the app's own: it sees no agent call site
      const files: (string | null)[][] = [];
      const mine = (_e: Error, sites: NodeJS.CallSite[]) => {
        files.push(sites.map((s) => s.getFileName()));
        return 'formatted';
      };
      Error.prepareStackTrace = mine;
      expect(throughAgent(() => new Error('x')).stack).toBe('formatted');
      expect(files[0]).toContain(HERE);
      expect(files[0]).not.toContain(agentFile);
      // code that saved the property and puts it back restores what was there
      const kept = Error.prepareStackTrace;
      Error.prepareStackTrace = (_e, sites) => sites;
      Error.prepareStackTrace = kept;
      expect(Error.prepareStackTrace).toBe(kept);
      expect(throughAgent(() => new Error('y')).stack).toBe('formatted');
      // a subclass sets its own, as without the accessor
      class Sub extends Error {}
      (Sub as unknown as { prepareStackTrace: unknown }).prepareStackTrace = 1;
      expect(Object.getOwnPropertyDescriptor(Sub, 'prepareStackTrace')?.value).toBe(1);
      expect(Error.prepareStackTrace).toBe(kept);
      Error.prepareStackTrace = initial;
    } finally {
      Error.prepareStackTrace = saved;
    }
  });

  it('the stack limit is raised by our frames and put back, unless the app changed it meanwhile', () => {
    const app = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 10;
      const limit = raiseStackLimit(3);
      expect(Error.stackTraceLimit).toBe(13);
      restoreStackLimit(limit, 3);
      expect(Error.stackTraceLimit).toBe(10);
      const again = raiseStackLimit(3);
      Error.stackTraceLimit = 50; // the app's own change wins
      restoreStackLimit(again, 3);
      expect(Error.stackTraceLimit).toBe(50);
      Error.stackTraceLimit = Infinity;
      expect(raiseStackLimit(3)).toBe(-1);
      expect(Error.stackTraceLimit).toBe(Infinity);
    } finally {
      Error.stackTraceLimit = app;
    }
  });
});
