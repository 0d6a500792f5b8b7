// The promise detector of debug mode (ASYNC_DEBUG=1), one per thread. Three kinds of finding:
//   unawaited            a promise an async function or a Node API returned to application code that
//                        nothing ever awaited, chained, returned or passed on: written when the promise
//                        is collected, or at exit.
//   unhandled-rejection  when Node reports one, with where the rejected promise (or the root of its then
//                        chain) was created. Node's own handling is unchanged (see rejections.ts).
//   never-settled        at exit, a promise something was still awaiting. Only the leaves are reported:
//                        an async function's promise is pending only because it awaits another one.
//                        (Or when it is garbage-collected while awaited: it can never settle then.)
// Each is written when made, once per kind and site (the summary counts the sites).
import { setImmediate as realSetImmediate } from 'node:timers';
import { threadId } from 'node:worker_threads';
import { makeFinding, type FindingFields, type FindingKind, type Frame, type OtherFinding } from '../../finding.js';
import { siteOf, toFrames } from '../../frames/frames.js';
import type { Detector, DetectorContext } from '../detector.js';
import { watchRejections } from './rejections.js';
import { callForm } from './source.js';
import type { PromiseRecord } from './promise-record.js';
import { startTracker } from './tracker.js';
import { monotonicNow, now } from '../../original.js';

type PromiseKind = Extract<FindingKind, 'unawaited' | 'unhandled-rejection' | 'never-settled'>;

function errorOf(reason: unknown): { name: string; message: string } {
  try {
    if (reason instanceof Error) return { name: String(reason.name), message: String(reason.message) };
    if (typeof reason === 'object' && reason !== null) return { name: 'non-Error object', message: Object.prototype.toString.call(reason) };
    return { name: typeof reason, message: String(reason) };
  } catch {
    return { name: 'unknown', message: '(the rejection reason could not be read)' };
  }
}

/** `the promise of save()`, `the new Promise made in readConfig()`, `the promise of Promise.all()`. */
function madeBy(r: PromiseRecord): string {
  if (r.creator === 'new') return `the new Promise made in ${r.name ? `${r.name}()` : 'an anonymous function'}`;
  if (r.creator === 'builtin') return `the promise of ${r.name}()`;
  return `the promise of ${r.name ? `${r.name}()` : 'an anonymous async function'}`;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** One finding per kind and site (a later occurrence there is the same bug), and the summary's counts. */
function findingsOnce(emit: DetectorContext['emit']) {
  const sites = new Set<string>();
  const totals: Record<PromiseKind, number> = { unawaited: 0, 'unhandled-rejection': 0, 'never-settled': 0 };
  let counter = 0;
  return {
    totals,
    found(kind: PromiseKind, site: Frame | null, build: (id: string) => FindingFields<OtherFinding>): void {
      if (site) {
        const key = `${kind} ${site.file}:${site.line}:${site.column}`;
        if (sites.has(key)) return;
        sites.add(key);
      }
      totals[kind]++;
      emit(makeFinding(kind, build(`${kind}-${threadId}-${++counter}`)));
    },
  };
}

/** The most time a turn of the loop gives to collected promises' findings. */
const SLICE_MS = 3;

/**
 * Collected promises, made into findings a few ms per turn of the loop: a collection can hand over
 * thousands at once (5,000 distinct sites once cost the loop a second), and the agent must never block
 * the loop it watches. The rest wait for the next turn (an unref'd immediate: it keeps nothing alive),
 * and whatever is still waiting at exit is done then.
 */
function perTurnQueue(work: (r: PromiseRecord) => void) {
  let queue: PromiseRecord[] = [];
  let next = 0;
  let scheduled = false;
  const one = () => {
    const r = queue[next++] as PromiseRecord;
    try {
      work(r);
    } catch {
      // never into the app
    }
  };
  const drain = () => {
    scheduled = false;
    const until = monotonicNow() + SLICE_MS;
    while (next < queue.length && monotonicNow() < until) one();
    if (next < queue.length) schedule();
    else {
      queue = [];
      next = 0;
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    realSetImmediate(drain).unref();
  };
  return {
    push(r: PromiseRecord): void {
      queue.push(r);
      schedule();
    },
    drainAll(): void {
      while (next < queue.length) one();
      queue = [];
      next = 0;
    },
  };
}

/** The fields of every promise finding. */
function base(id: string, r: PromiseRecord | undefined, frames: Frame[], message: string) {
  return {
    id,
    time: r?.time ?? now(),
    message,
    site: siteOf(frames),
    frames,
  };
}

export function startPromiseDetector({ emit }: DetectorContext): Detector {
  const { totals, found } = findingsOnce(emit);
  let stopped = false;
  let naturalEnd = false;
  /** An uncaught error (or unhandled rejection) is ending the process: what was pending is not news. */
  let crashing = false;

  function unawaited(r: PromiseRecord, when: 'collected' | 'exit'): void {
    if (stopped || r.consumed || !r.candidate || r.rejected) return;
    const frames = toFrames(r.raw);
    const site = siteOf(frames);
    if (!site) return;
    // Only a call that is a whole statement: `void p` and an IIFE are deliberate, a promise assigned,
    // returned or passed on was handed to code that may keep it, and an unreadable site is unknown.
    if (callForm(site) !== 'statement') return;
    const settled = r.settled ? 'fulfilled' : 'pending';
    const state =
      when === 'collected'
        ? `it was ${settled === 'pending' ? 'collected still pending' : 'fulfilled and collected'}`
        : `it was ${settled === 'pending' ? 'still pending' : 'fulfilled'} at exit`;
    found('unawaited', site, (id) => ({
      ...base(id, r, frames, `${capital(madeBy(r))} was never awaited, chained or returned (${state}): await it, or mark a deliberate fire-and-forget with \`void\` or a \`.catch()\`.`),
      settled,
      function: r.name,
    }));
  }

  function unhandled(reason: unknown, promise: Promise<unknown> | null): void {
    if (stopped) return;
    const known = promise ? tracker.recordOf(promise) : undefined;
    const r = known?.record;
    if (r && !known.derived) r.rejected = true;
    const frames = r ? toFrames(r.raw) : [];
    const error = errorOf(reason);
    const made = r ? ` (${known.derived ? `of a then chain on ${madeBy(r)}` : madeBy(r)})` : '';
    found('unhandled-rejection', siteOf(frames), (id) => ({
      ...base(id, r, frames, `A promise${made} rejected with ${error.name}: ${error.message}, and nothing handled the rejection.`),
      error,
      ...(r ? { function: r.name } : {}),
    }));
  }

  function neverSettled(r: PromiseRecord, when: 'collected' | 'exit'): void {
    if (stopped || crashing || !r.appMade || !r.awaited || r.settled) return;
    const frames = toFrames(r.raw);
    const site = siteOf(frames);
    if (!site) return; // Node's or a library's own promise, made without the app on the stack
    const awaitedBy = toFrames(r.awaitedBy ?? []);
    const how =
      when === 'collected'
        ? 'it was garbage-collected while still awaited: nothing could settle it any more, and the code awaiting it never resumes'
        : naturalEnd
          ? 'the process ran out of work while it was still awaited: nothing was left that could settle it'
          : 'it was still awaited when the process exited';
    found('never-settled', site, (id) => ({
      ...base(id, r, frames, `${capital(madeBy(r))} never settled: ${how}.`),
      awaitedBy,
      atNaturalEnd: when === 'exit' && naturalEnd,
      collected: when === 'collected',
      function: r.name,
    }));
  }

  const collected = perTurnQueue((r) => {
    unawaited(r, 'collected');
    neverSettled(r, 'collected');
  });
  const tracker = startTracker((r) => collected.push(r));
  const stopRejections = watchRejections(unhandled);
  const onBeforeExit = () => {
    naturalEnd = true;
  };
  process.on('beforeExit', onBeforeExit);
  const onUncaught = () => {
    if (process.listenerCount('uncaughtException') === 0) crashing = true;
  };
  process.on('uncaughtExceptionMonitor', onUncaught);

  return {
    name: 'promises',
    counts: () => ({ ...totals }),
    atExit() {
      if (stopped) return;
      collected.drainAll();
      for (const r of [...tracker.watched()]) {
        unawaited(r, 'exit');
        neverSettled(r, 'exit');
      }
    },
    stop() {
      stopped = true;
      tracker.stop();
      stopRejections();
      process.removeListener('beforeExit', onBeforeExit);
      process.removeListener('uncaughtExceptionMonitor', onUncaught);
    },
  };
}
