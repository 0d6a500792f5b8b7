// Sees the unhandled rejections Node reports, without changing what Node does with them. A listener on
// 'unhandledRejection' would change it (with one, Node no longer crashes), so this wraps process.emit
// instead: Node's rejection tracking calls process.emit('unhandledRejection', reason, promise) and acts
// on its return value (false: no listener, crash), which the wrapper passes through untouched. With
// --unhandled-rejections=strict Node raises the error before it emits; 'uncaughtExceptionMonitor'
// (a listener that changes nothing) sees those, without the promise. Node raises a module that failed
// to evaluate (a top-level `throw`, a rejected top-level `await`) with the same origin, but from its
// entry-point code, not from its rejection tracking: that is the module's uncaught error, not a finding.
import { captureOwnStack } from '../../frames/capture.js';

/** Whether the error now being raised comes from Node's rejection tracking (read from the stack). */
function raisedByRejectionTracking(below: Function): boolean {
  return captureOwnStack(below, 16).some((f) => f.file === 'node:internal/process/promises');
}

export type OnRejection = (reason: unknown, promise: Promise<unknown> | null) => void;

export function watchRejections(onRejection: OnRejection): () => void {
  const seen = new WeakSet<object>();
  const seenPrimitives = new Set<unknown>();
  const once = (reason: unknown): boolean => {
    if (typeof reason === 'object' && reason !== null) {
      if (seen.has(reason)) return false;
      seen.add(reason);
      return true;
    }
    if (seenPrimitives.has(reason)) return false;
    if (seenPrimitives.size < 1000) seenPrimitives.add(reason);
    return true;
  };
  const report = (reason: unknown, promise: Promise<unknown> | null) => {
    try {
      if (once(reason)) onRejection(reason, promise);
    } catch {
      // never into the app, never between Node and its crash
    }
  };

  /** Node's default mode raises a rejection nobody listened for right after the emit: seen already. */
  let raisedNext = false;
  const originalEmit = process.emit;
  const emit = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'unhandledRejection') return Reflect.apply(originalEmit, this, [event, ...args]) as boolean;
    // Written before the app's handler runs: the handler may call process.exit().
    report(args[0], args[1] instanceof Promise ? args[1] : null);
    const handled = Reflect.apply(originalEmit, this, [event, ...args]) as boolean;
    raisedNext = !handled;
    return handled;
  } as typeof process.emit;
  process.emit = emit;

  const monitor = function asyncdebugRejectionMonitor(error: Error, origin: string): void {
    if (origin !== 'unhandledRejection') return;
    if (raisedNext) raisedNext = false;
    else if (raisedByRejectionTracking(asyncdebugRejectionMonitor)) report(error, null);
  };
  process.on('uncaughtExceptionMonitor', monitor);

  return () => {
    if (process.emit === emit) process.emit = originalEmit;
    process.removeListener('uncaughtExceptionMonitor', monitor);
  };
}
