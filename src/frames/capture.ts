// Reads the current thread's own stack, for findings made in the app's thread (a sync call's site).
// Error.prepareStackTrace and Error.stackTraceLimit are set only for the one synchronous capture and
// restored before anything of the app's can run, so the app never sees them changed.
import type { RawFrame } from './frames.js';

const LIMIT = 24;

function toRaw(sites: NodeJS.CallSite[]): RawFrame[] {
  return sites.map((s) => ({
    function: s.getFunctionName() ?? s.getMethodName() ?? '',
    file: s.getFileName() ?? s.getScriptNameOrSourceURL?.() ?? '',
    line: s.getLineNumber() ?? 0,
    column: s.getColumnNumber() ?? 0,
  }));
}

/** The stack above `below` (exclusive), innermost first, at most `limit` frames. */
export function captureOwnStack(below: Function, depth = LIMIT): RawFrame[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.stackTraceLimit = depth;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, below);
    const sites = holder.stack;
    return Array.isArray(sites) ? toRaw(sites as NodeJS.CallSite[]) : [];
  } catch {
    return [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}
