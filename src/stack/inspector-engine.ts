// Fallback engine when the native binary cannot load: the inspector, connected from the watchdog to the
// main thread. An enabled Debugger slows promise-heavy code ~8.5x (docs/performance.md, "How the stack is read"), so
// it is enabled only for the one pause and disabled again at once. Main thread only.
import { Session } from 'node:inspector';
import type { RawFrame } from '../frames/frames.js';
import type { StackEngine } from './engine.js';

interface CallFrame {
  callFrameId: string;
}

/**
 * Evaluated on the paused top frame: the stack as [file, line, column, function] rows. Paused call
 * frames name scripts only by id (worker sessions get no scriptParsed events here), so the stack is
 * read this way. The app is paused: it cannot see the two Error properties, restored before resume.
 */
const READ_STACK = `(() => {
  const prepare = Error.prepareStackTrace, limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 50;
    Error.prepareStackTrace = (_, sites) => sites.map((s) => [s.getFileName(), s.getLineNumber(), s.getColumnNumber(), s.getFunctionName()]);
    return JSON.stringify(new Error().stack);
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
})()`;

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

export function createInspectorEngine(): StackEngine | null {
  const session = new Session();
  try {
    session.connectToMainThread();
  } catch {
    return null;
  }
  let busy = false;
  return {
    name: 'inspector',
    canCapture: (threadId) => threadId === 0,
    async capture(threadId) {
      if (threadId !== 0 || busy) return null;
      busy = true;
      try {
        const paused = new Promise<CallFrame[]>((resolve) => {
          session.once('Debugger.paused', (message) => {
            resolve((message.params as { callFrames: CallFrame[] }).callFrames);
          });
        });
        await post(session, 'Debugger.enable');
        await post(session, 'Debugger.pause');
        const timeout = new Promise<null>((r) => setTimeout(() => r(null), 1000).unref());
        const callFrames = await Promise.race([paused, timeout]);
        let rows: [string | null, number, number, string | null][] = [];
        const top = callFrames?.[0];
        if (top) {
          const result = await post<{ result: { value?: string } }>(session, 'Debugger.evaluateOnCallFrame', {
            callFrameId: top.callFrameId,
            expression: READ_STACK,
            silent: true,
            returnByValue: true,
          }).catch(() => null);
          rows = result?.result.value ? JSON.parse(result.result.value) : [];
        }
        await post(session, 'Debugger.resume').catch(() => {});
        await post(session, 'Debugger.disable').catch(() => {});
        if (!callFrames) return null;
        // Rows before the first with a file are the evaluated expression itself.
        const first = rows.findIndex((r) => r[0]);
        return rows.slice(first < 0 ? rows.length : first).map(
          ([file, line, column, fn]): RawFrame => ({ function: fn ?? '', file: file ?? '', line, column }),
        );
      } catch {
        return null;
      } finally {
        busy = false;
      }
    },
    dispose() {
      try {
        session.disconnect();
      } catch {
        // already gone
      }
    },
  };
}
