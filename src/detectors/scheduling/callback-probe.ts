// The watchdog half of the scheduling detector (debug mode, main thread): while the main thread is
// blocked, asks it through the inspector which callback is running and where it was scheduled
// (probe.ts). Runtime.evaluate runs at an interrupt without enabling the debugger (an enabled debugger
// slows promise-heavy code ~8.5x: docs/performance.md, "How the stack is read"), and the session is closed at once:
// a session still connected at exit would make Node print "Waiting for the debugger to disconnect...".
import { Session } from 'node:inspector';
import { PROBE_EXPRESSION, type ProbeAnswer } from './probe.js';

/** A thread in native code answers only when it is back in JavaScript; an answer this late is dropped. */
const ANSWER_MS = 500;

export type Probe = (threadId: number) => Promise<ProbeAnswer | null>;

export function createProbe(): Probe {
  let busy = false;
  return async (threadId) => {
    if (threadId !== 0 || busy) return null;
    busy = true;
    const session = new Session();
    try {
      session.connectToMainThread();
      const answer = await new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), ANSWER_MS);
        session.post('Runtime.evaluate', { expression: PROBE_EXPRESSION, returnByValue: true, silent: true }, (err, result) => {
          clearTimeout(timer);
          const value = (result as { result?: { value?: unknown } } | undefined)?.result?.value;
          resolve(err || typeof value !== 'string' ? null : value);
        });
      });
      return answer ? (JSON.parse(answer) as ProbeAnswer) : null;
    } catch {
      return null;
    } finally {
      try {
        session.disconnect();
      } catch {
        // already gone
      }
      busy = false;
    }
  };
}
