// The probe, called in this thread as the inspector would call it at an interrupt: what it answers about
// the code it interrupted. Its outermost frame is compared with the stack reader's reads, which hold the
// thread's stack only: V8's `at async` frames of a continuation's awaiting callers are not on it.
import { describe, expect, it } from 'vitest';
import { installProbe, PROBE_KEY, type ProbeAnswer } from '../../../../src/detectors/scheduling/probe.js';
import { Registry } from '../../../../src/protocol/registry.js';

const ask = (): ProbeAnswer => JSON.parse((globalThis as unknown as Record<symbol, () => string>)[PROBE_KEY]!()) as ProbeAnswer;

describe('the probe', () => {
  it('in a promise continuation, the outermost frame is the continuation, not an awaiting caller', async () => {
    const slot = new Registry().claim(0)!;
    const remove = installProbe(slot, new WeakMap());
    try {
      let threadStack: NodeJS.CallSite[] = [];
      let awaiting: NodeJS.CallSite[] = [];
      async function continuation(): Promise<ProbeAnswer> {
        await null;
        // V8's call sites here: the thread's frames, then the awaiting callers' (`at async`).
        const { prepareStackTrace, stackTraceLimit } = Error;
        Error.stackTraceLimit = 100;
        Error.prepareStackTrace = (_e, sites) => sites;
        const sites = new Error().stack as unknown as NodeJS.CallSite[];
        Object.assign(Error, { prepareStackTrace, stackTraceLimit });
        const isAsync = (s: NodeJS.CallSite) => (s as { isAsync?: () => boolean }).isAsync?.() === true;
        threadStack = sites.filter((s) => !isAsync(s));
        awaiting = sites.filter(isAsync);
        return ask();
      }
      async function awaitingCaller(): Promise<ProbeAnswer> {
        return await continuation();
      }
      const answer = await awaitingCaller();
      expect(answer.gen).toBe(slot.gen());
      expect(awaiting.map((s) => s.getFunctionName())).toContain('awaitingCaller');
      const last = threadStack.at(-1)!;
      expect(answer.outer).toEqual([last.getFileName(), last.getLineNumber(), last.getColumnNumber(), last.getFunctionName()]);
    } finally {
      remove();
    }
  });
});
