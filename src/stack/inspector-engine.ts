// Fallback engine when the native binary cannot load: the inspector, connected from the watchdog to the
// main thread. An enabled Debugger slows promise-heavy code ~8.5x (../shared/design.md), so it is
// enabled only for the one pause and disabled again at once. Main thread only.
import { Session } from 'node:inspector';
import type { RawFrame } from '../frames/frames.js';
import type { StackEngine } from './engine.js';

interface CallFrame {
  functionName: string;
  url: string;
  location: { lineNumber: number; columnNumber?: number };
}

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
        await post(session, 'Debugger.resume').catch(() => {});
        await post(session, 'Debugger.disable').catch(() => {});
        if (!callFrames) return null;
        return callFrames.map(
          (c): RawFrame => ({
            function: c.functionName,
            file: c.url,
            line: c.location.lineNumber + 1,
            column: (c.location.columnNumber ?? 0) + 1,
          }),
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
