// The agent's wrappers (sync-I/O, the CJS loader hook) are frames on the stack of the calls they wrap.
// An error thrown through one must look as it would without the agent: its stack loses our lines.
// Only on the error path; the stack is formatted then (by the app's Error.prepareStackTrace, if any).
import { mentionsAgentFile } from './agent-files.js';

/**
 * While a wrapper of ours runs, the stack-trace limit is raised by the number of our frames, so an error
 * thrown through it keeps as many of the app's frames as without us (hideAgentFrames drops ours).
 * Returns what to give `restoreStackLimit`: the app's limit, or -1 when it was not a finite positive number.
 */
export function raiseStackLimit(ours: number): number {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number' || !(limit > 0) || limit === Infinity) return -1;
  Error.stackTraceLimit = limit + ours;
  return limit;
}

/** Puts the app's limit back, unless the app changed it meanwhile. */
export function restoreStackLimit(limit: number, ours: number): void {
  if (limit >= 0 && Error.stackTraceLimit === limit + ours) Error.stackTraceLimit = limit;
}

export function hideAgentFrames(err: unknown): void {
  try {
    if (typeof err !== 'object' || err === null || !(err instanceof Error)) return;
    const stack = err.stack;
    if (typeof stack !== 'string' || !mentionsAgentFile(stack)) return;
    err.stack = stack
      .split('\n')
      .filter((line) => !(line.trimStart().startsWith('at ') && mentionsAgentFile(line)))
      .join('\n');
  } catch {
    // a frozen error, an exotic stack: leave it as it is
  }
}
