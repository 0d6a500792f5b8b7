// What a gap of a thread's loop was, once the watchdog knows what the thread did in it, and the words
// for it: a block of the app (with its split into on-CPU, asleep and waiting for a CPU), a gap the
// machine made (starved: no finding), a block no application frame could be named for (a finding with
// the reason), or a block reported while it went on that turned out not to be one (its final line
// says so). Plain values in; the watcher (block-watcher.ts) decides when, open-block.ts names sites.
import { makeFinding, type BlockFinding, type Frame } from '../../finding.js';
import { isAgentFrame, isAppFrame } from '../../frames/frames.js';
import { formatDuration, fromPackage, threadName } from '../../wording.js';
import type { GapSplitMs } from './cpu-split.js';

/** A split as written on a line: whole ms that add up to the whole rounded. */
export function roundSplit(s: GapSplitMs): GapSplitMs {
  const total = Math.round(s.cpuMs + s.sleepMs + s.starvedMs);
  const starvedMs = Math.min(total, Math.round(s.starvedMs));
  const cpuMs = Math.min(total - starvedMs, Math.round(s.cpuMs));
  return { cpuMs, sleepMs: total - starvedMs - cpuMs, starvedMs };
}

/** Whether the thread's own time (on a CPU or asleep) reached the threshold; with no split, the wall clock. */
export function isActiveBlock(durationMs: number, split: GapSplitMs | null, slowMs: number): boolean {
  return durationMs >= slowMs && (split === null || split.cpuMs + split.sleepMs >= slowMs);
}

/**
 * The split in words, when it says more than "it ran": a tenth or more of the block asleep or waiting
 * for a CPU. E.g. "Of the 250 ms, 210 ms on a CPU and 40 ms waiting for a CPU (other work had the cores)."
 */
export function splitSentence(durationMs: number, s: GapSplitMs): string {
  const matters = (ms: number) => ms >= 1 && ms * 10 >= durationMs;
  if (!matters(s.sleepMs) && !matters(s.starvedMs)) return '';
  const parts = [`${formatDuration(s.cpuMs)} on a CPU`];
  if (matters(s.sleepMs)) parts.push(`${formatDuration(s.sleepMs)} asleep off a CPU (sync I/O, a lock or a native wait)`);
  if (matters(s.starvedMs)) parts.push(`${formatDuration(s.starvedMs)} waiting for a CPU (other work had the cores)`);
  const list = parts.length === 2 ? parts.join(' and ') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `Of the ${formatDuration(durationMs)}, ${list}.`;
}

/** What block-message.ts guesses for time outside JavaScript; the split can tell when it was a sleep. */
const NATIVE_GUESS = 'outside JavaScript (JSON, a regular expression, a native addon or compilation)';
const NATIVE_ASLEEP = 'outside JavaScript, asleep (sync I/O, a lock or a native wait)';

/** The extension fields every block line carries: its threshold, the split, the module-load phase. */
export function addBlockFacts(f: BlockFinding, slowMs: number, split: GapSplitMs | null, moduleLoad: boolean): void {
  f.thresholdMs = slowMs;
  if (moduleLoad) f.phase = 'module-load';
  if (!split) return;
  f.cpuMs = split.cpuMs;
  f.sleepMs = split.sleepMs;
  f.starvedMs = split.starvedMs;
  // A thread that slept through most of it was not computing JSON or a regular expression.
  if (f.origin?.type === 'native' && split.sleepMs * 2 >= f.durationMs) f.message = f.message.replace(NATIVE_GUESS, NATIVE_ASLEEP);
  const words = splitSentence(f.durationMs, split);
  if (words) f.message += ` ${words}`;
}

/** A block reported while it went on, whose final line is under the threshold: what the gap was instead. */
export function withdrawnMessage(thread: string, gapMs: number, startupMs: number, appMs: number, split: GapSplitMs | null, slowMs: number): string {
  const why: string[] = [];
  if (startupMs >= 1) why.push(`${formatDuration(startupMs)} of it was start-up (module loading)`);
  if (split && split.starvedMs >= 1) why.push(`${formatDuration(split.starvedMs)} waiting for a CPU (other work had the cores)`);
  const own = split ? split.cpuMs + split.sleepMs : appMs;
  return (
    `The event loop of the ${thread} did not turn for ${formatDuration(gapMs)}, but it was no block of the app` +
    `${why.length ? `: ${why.join(', ')}` : ''}; the thread's own time, ${formatDuration(own)}, is under the ${formatDuration(slowMs)} threshold.`
  );
}

/** What ran a callback, from the Node frames of a stack read that had no application frame. */
function dispatcher(frames: Frame[]): string | null {
  const has = (test: (file: string) => boolean) => frames.some((f) => test(f.file));
  if (has((f) => f === 'node:internal/timers')) return 'a timer callback';
  if (has((f) => f === 'node:internal/process/task_queues')) return 'a promise reaction or nextTick callback';
  if (has((f) => f === 'node:fs' || f.startsWith('node:internal/fs'))) return 'a file-system callback';
  if (has((f) => /^node:(_http|net|tls|dgram|internal\/(http|net|stream_base|tls|dgram))/.test(f))) return 'a network callback';
  if (has((f) => f.startsWith('node:internal/modules/'))) return 'module loading';
  return null;
}

/**
 * Whether a read with no application frame was answered inside a callback's dispatch (a timer's, a
 * promise's, an I/O callback's): the gap was that callback's, also when the thread exited right after.
 * Node's wait for V8's tasks after the loop emptied is answered in the exit's own code instead.
 */
export function inCallback(last: { frames: Frame[] } | null): boolean {
  return last !== null && dispatcher(last.frames) !== null;
}

/**
 * Whether a read was the agent's own work: no application frame on it, and the outermost frame that
 * is not Node's is the agent's (its exit hook, its reporter calling into a library), not a library's
 * or Node's callback that merely passes through the agent's wrappers. (The app's code called back
 * through an agent wrapper, an fs callback say, is the app's.) The agent is never the block it reports.
 */
export function agentsOwn(last: { frames: Frame[] } | null): boolean {
  if (!last || last.frames.some(isAppFrame)) return false;
  for (let i = last.frames.length - 1; i >= 0; i--) {
    const f = last.frames[i] as Frame;
    if (!f.file.startsWith('node:')) return isAgentFrame(f);
  }
  return false;
}

/** A frame in words; a dependency's file from its package on. */
function at(f: Frame): string {
  return `${f.function} (${fromPackage(f.file)}:${f.line})`;
}

/**
 * Why a block has no site, from the last read no application frame was on (`late`: answered only
 * after a stretch outside JavaScript), or from there being no read at all. `samples`: how many reads
 * the gap had (one or two that land in a callback's dispatch came as the callback ended). `split`:
 * what the thread did in the gap, when known. A read is also late when the thread was kept off the
 * CPUs: when that was most of the gap, the reason says so rather than guess at native code.
 */
export function sitelessReason(last: { frames: Frame[]; late: boolean } | null, canRead: boolean, samples = Infinity, split: GapSplitMs | null = null): string {
  if (!canRead) return 'no stack reader could run in this process, so no stack was read';
  if (!last) return 'no stack read was answered while it lasted';
  const frames = last.frames.filter((f) => !isAgentFrame(f));
  if (frames.length === 0) return 'no JavaScript was on the stack at any read: native code, or Node\'s own work between callbacks';
  const what = dispatcher(frames);
  if (last.late && split && split.starvedMs * 2 >= split.cpuMs + split.sleepMs + split.starvedMs) {
    return `the thread waited ${formatDuration(split.starvedMs)} of it for a CPU (other work had the cores), so the stack was read only when it ran again${what ? `, in ${what}` : `, at ${at(frames[0] as Frame)}`}`;
  }
  if (last.late) {
    return what
      ? `outside JavaScript in ${what}: the stack could only be read after it returned`
      : `outside JavaScript: the stack could only be read after it returned, at ${at(frames[0] as Frame)}`;
  }
  const library = frames.find((f) => f.file.includes('/node_modules/'));
  if (library) return `only library code on the stack, e.g. ${at(library)}, called from no application frame`;
  if (what && samples <= 2) return `the stack was first read as ${what} ended, too late to see the code that ran`;
  return `only Node's own code on the stack${what ? ` in ${what}` : ''}, e.g. ${at(frames[0] as Frame)}`;
}

export interface SitelessBlock {
  id: string;
  time: number;
  threadId: number;
  threadName: string | undefined;
  durationMs: number;
  samples: number;
  reason: string;
  frames: Frame[];
}

/** A block of the threshold no application frame could be named for: a finding with `site: null` and why. */
export function sitelessFinding(b: SitelessBlock): BlockFinding {
  const f = makeFinding<BlockFinding>('block', {
    id: b.id,
    time: b.time,
    threadId: b.threadId,
    message: `The event loop of the ${threadName(b.threadId, b.threadName)} was blocked for ${formatDuration(b.durationMs)} with no application frame to name: ${b.reason}.`,
    site: null,
    frames: b.frames,
    durationMs: b.durationMs,
    ongoing: false,
    samples: b.samples,
    reason: b.reason,
  });
  if (b.threadName) f.threadName = b.threadName;
  return f;
}
