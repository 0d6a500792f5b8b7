// The agent's wrappers (sync-I/O, the CJS loader hook) are frames on the stack of the calls they wrap.
// An error thrown through one must look as it would without the agent: its stack loses our lines.
// Only on the error path; the stack is formatted then (by the app's Error.prepareStackTrace, if any).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const MARKS = [join(ROOT, 'dist'), join(ROOT, 'src'), pathToFileURL(join(ROOT, 'dist')).href];

export function hideAgentFrames(err: unknown): void {
  try {
    if (typeof err !== 'object' || err === null || !(err instanceof Error)) return;
    const stack = err.stack;
    if (typeof stack !== 'string' || !MARKS.some((m) => stack.includes(m))) return;
    err.stack = stack
      .split('\n')
      .filter((line) => !(line.trimStart().startsWith('at ') && MARKS.some((m) => line.includes(m))))
      .join('\n');
  } catch {
    // a frozen error, an exotic stack: leave it as it is
  }
}
