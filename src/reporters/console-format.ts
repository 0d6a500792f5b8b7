// Dependency-free pieces of the console output, shared by the full console reporter (watchdog) and
// the exit summary (app threads, which must not load chalk or a code-frame library).
import { writeSync } from '../original.js';
import { builtin } from '../lazy-builtin.js';
import type { SummaryFinding } from '../finding.js';
import { kindRow } from '../kinds.js';
import { formatDuration, threadName } from '../wording.js';

export { formatDuration, threadName, where } from '../wording.js';

export type ColorLevel = 0 | 1 | 2 | 3;

// isatty(2), not process.stderr.isTTY: touching process.stderr creates a handle the app would see.
// node:tty is loaded only here: loading it costs every app thread a ms of start-up.
const stderrIsTTY = (): boolean => builtin<typeof import('node:tty')>('tty').isatty(2);

export function colorLevel(env: NodeJS.ProcessEnv = process.env, isTTY = stderrIsTTY()): ColorLevel {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === '0' || force === 'false') return 0;
    return force === '2' ? 2 : force === '3' ? 3 : 1;
  }
  return isTTY ? 1 : 0;
}

function countWords(kind: string, n: number): string {
  const [one, many] = kindRow(kind)?.words ?? [kind, `${kind} findings`];
  return `${n} ${n === 1 ? one : many}`;
}

/** Whether a thread's exit summary gets a console line: it counts at least one finding. */
export function summaryHasLine(f: Pick<SummaryFinding, 'counts'>): boolean {
  return Object.entries(f.counts).some(([k, v]) => k !== 'summary' && (v ?? 0) > 0);
}

/**
 * One line for a thread's exit summary, or null when the thread found nothing worth a line. `level` may
 * be a function: asked only when there is a line (console-plain.ts says why).
 */
export function summaryLine(f: SummaryFinding, level: ColorLevel | (() => ColorLevel)): string | null {
  if (!summaryHasLine(f)) return null;
  const parts = Object.entries(f.counts)
    .filter(([, v]) => v)
    .map(([k, v]) => countWords(k, v ?? 0));
  const d = f.loopDelay;
  const tag = (typeof level === 'function' ? level() : level) > 0 ? '\u001b[1m\u001b[35masyncdebug\u001b[39m\u001b[22m' : 'asyncdebug';
  return `${tag} ${threadName(f.threadId, f.threadName)} (pid ${f.pid}) exiting: ${parts.join(', ')}; loop delay p50 ${formatDuration(d.p50)}, p99 ${formatDuration(d.p99)}, max ${formatDuration(d.max)}; utilization ${Math.round(f.elu * 100)}%\n`;
}

/** writeSync(2): never through the app's streams or its possibly blocked loop. */
export function writeStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr closed: nothing sensible to do
  }
}
