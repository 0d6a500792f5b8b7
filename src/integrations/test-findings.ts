// Findings per test, for test-runner integrations (asyncdebug/vitest, asyncdebug/node-test): what this thread's agent
// wrote between the start and the end of a test. It reads this process's own JSON Lines report (where
// the agent's config puts it: ASYNC_DEBUG_REPORT_DIR/asyncdebug-<pid>.jsonl, as `asyncdebug run|ci` set
// it) rather than subscribe() from asyncdebug/api: the report holds every thread's findings, blocks
// included, in a worker thread (vitest's threads pool, where a worker's subscribers do not get the
// watchdog's blocks) as in a child process (the forks pool); it needs no module instance shared with
// the agent (a runner may load this file through its own module system); and it can neither keep the
// process alive nor throw when the agent is off.
import { open } from 'node:fs/promises';
import { relative } from 'node:path';
import { setInterval as realSetInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { processReportPath, readConfig, type Config } from '../config.js';
import { kindRow } from '../kinds.js';
import type { Finding, FindingKind } from '../finding.js';
import { isHealthLine } from '../health-record.js';

export type TestFinding = Finding & { durationMs?: number; maxMs?: number; ongoing?: boolean; api?: string; phase?: string };

/** The options of a test-runner integration (vitest's `provide: { asyncdebug }`, configure()). */
export interface TestOptions {
  /** Kinds that fail the test they happen in (default none: findings are only shown); module loading (`phase: "module-load"`) never does. */
  failOn?: FindingKind[];
  /** Findings whose duration (a block's, a sync call's slowest) is under this are ignored: ms, or per kind. */
  minMs?: number | Partial<Record<FindingKind, number>>;
  /** Print one line per finding attributed to a test (default true). */
  print?: boolean;
  /** How long the hook after a test may wait for a block to be closed by the watchdog (default 2000 ms). */
  waitMs?: number;
}

/** The findings of a test the options keep (not under their --min-ms). */
export function keptFindings(found: TestFinding[], options: TestOptions): TestFinding[] {
  const m = options.minMs;
  const minFor = (kind: string) => (typeof m === 'number' ? m : ((m as Record<string, number> | undefined)?.[kind] ?? 0));
  return found.filter((f) => (durationOf(f) ?? Infinity) >= minFor(f.kind));
}

/** The findings that fail their test: of a `failOn` kind, and not module loading (a warm-up is shown, never a failure). */
export function failingFindings(found: TestFinding[], options: TestOptions): TestFinding[] {
  return found.filter((f) => options.failOn?.includes(f.kind as FindingKind) && !isModuleLoad(f));
}

/**
 * The error a test fails with: its message says the finding and where it was. No stack: its frames would
 * be the integration's own, which say nothing about the test (and through the package's source maps,
 * named files a user's install does not have).
 */
export function testFailure(found: TestFinding[]): Error {
  const err = new Error(`asyncdebug: in this test ${found.map((f) => describeFinding(f)).join('; ')}`);
  err.stack = `Error: ${err.message}`;
  return err;
}

/** Module loading (a loader's own sync I/O, a lazy load): shown, never the test's failure. */
export function isModuleLoad(f: TestFinding): boolean {
  return f.phase === 'module-load';
}

// The real clock: a test's fake timers (vi.useFakeTimers) replace the globals, not this captured function.
const now = Date.now;

/** Per thread, not per module instance: a runner may evaluate this module again for every test file. */
interface ThreadState {
  offset: number;
  partial: string;
  /** Ids already given to a test, or seen between tests. */
  seen: Set<string>;
  lastTurn: number;
  maxGap: number;
  ticking: boolean;
  warned: boolean;
}
const STATE = Symbol.for('asyncdebug.test-findings');
const holder = globalThis as typeof globalThis & { [STATE]?: ThreadState };
const state: ThreadState = (holder[STATE] ??= { offset: 0, partial: '', seen: new Set(), lastTurn: now(), maxGap: 0, ticking: false, warned: false });

export interface TestWatcher {
  /** At the start of a test: the findings made since the last read, before this test (with an
   *  application frame; the vitest integration gives them to no test, node:test's to the test this one
   *  runs inside). */
  begin(): Promise<TestFinding[]>;
  /** At its end: the findings this thread made during the test, with an application frame. */
  end(waitMs: number): Promise<TestFinding[]>;
}

/** The agent's configuration as this process's environment gives it (silently: the agent warns). */
function agentConfig(env: NodeJS.ProcessEnv): Config {
  return readConfig(env, () => {});
}

/** Why tests cannot be watched in this process, or null when they can. */
export function notWatchedReason(env: NodeJS.ProcessEnv = process.env): string | null {
  const config = agentConfig(env);
  if (config.mode === 'off') return 'ASYNC_DEBUG is off; tests are not watched';
  if (config.reportDir === null) return 'no ASYNC_DEBUG_REPORT_DIR; run the tests under `asyncdebug run -- <test command>` (or `asyncdebug ci`) to attribute findings to tests';
  return null;
}

/**
 * Says once why nothing is watched: once per thread, and with `runnerPid` (the process that started the
 * test files' workers or processes) once per run (run-once.ts, loaded only here).
 */
export function warnOnce(print: (line: string) => void, line: string, runnerPid: number | null = null): void {
  if (state.warned) return;
  state.warned = true;
  if (runnerPid === null) return print(line);
  import('./run-once.js')
    .then(({ firstInRun }) => firstInRun(runnerPid), () => true)
    .then((say) => {
      if (say) print(line);
    })
    .catch(() => {});
}

export function createTestWatcher(env: NodeJS.ProcessEnv = process.env): TestWatcher | null {
  if (notWatchedReason(env)) return null;
  const { reportDir, slowMs } = agentConfig(env);
  const reportFile = processReportPath(reportDir!);

  // Our own view of the loop: tells the end of a test that a block may still be closing.
  if (!state.ticking) {
    state.ticking = true;
    realSetInterval(() => {
      const t = now();
      state.maxGap = Math.max(state.maxGap, t - state.lastTurn);
      state.lastTurn = t;
    }, 10).unref();
  }

  /** Lines of this thread that the report gained since the last read (whole lines only). */
  async function readNew(): Promise<TestFinding[]> {
    let handle;
    try {
      handle = await open(reportFile, 'r');
      const { size } = await handle.stat();
      if (size <= state.offset) return [];
      const buf = Buffer.alloc(size - state.offset);
      const { bytesRead } = await handle.read(buf, 0, buf.length, state.offset);
      state.offset += bytesRead;
      const text = state.partial + buf.subarray(0, bytesRead).toString('utf8');
      const cut = text.lastIndexOf('\n');
      state.partial = text.slice(cut + 1);
      const out: TestFinding[] = [];
      for (const raw of text.slice(0, cut + 1).split('\n')) {
        if (!raw.trim()) continue;
        try {
          const f = JSON.parse(raw) as TestFinding;
          // Findings only: not the summary, nor the report's own records (health, aggregate, dropped).
          if (f.threadId === threadId && f.kind !== 'summary' && !isHealthLine(f) && kindRow(f.kind)) out.push(f);
        } catch {
          // a broken line is `asyncdebug report`'s to name
        }
      }
      return out;
    } catch {
      return []; // no report yet: nothing found in this process so far
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  return {
    async begin() {
      const before = new Map<string, TestFinding>();
      for (const f of await readNew()) {
        if (!state.seen.has(f.id)) before.set(f.id, f);
        state.seen.add(f.id);
      }
      state.lastTurn = now();
      state.maxGap = 0;
      return [...before.values()].filter((f) => f.site && !withdrawn(f));
    },
    async end(waitMs) {
      const mine = new Map<string, TestFinding>();
      const take = (lines: TestFinding[]) => {
        for (const f of lines) if (!state.seen.has(f.id) || mine.has(f.id)) mine.set(f.id, f);
      };
      const wasStuck = Math.max(state.maxGap, now() - state.lastTurn) >= slowMs;
      take(await readNew());
      // A block's final line is written when the loop turns again: give the watchdog (or the thread
      // itself) a moment to write it. Nothing is awaited when the test did not hold the loop.
      const limit = now() + waitMs;
      const quietUntil = now() + Math.min(300, waitMs);
      while (now() < limit) {
        const values = [...mine.values()];
        const open = values.some((f) => f.kind === 'block' && f.ongoing);
        const unseen = wasStuck && !values.some((f) => f.kind === 'block') && now() < quietUntil;
        if (!open && !unseen) break;
        await sleep(10);
        take(await readNew());
      }
      for (const id of mine.keys()) state.seen.add(id);
      // Only findings with an application frame: one with no stack (the thread wrote it itself, e.g.
      // on a loaded machine that did not schedule it) or with only the runner's frames is not surely
      // the test's doing, and a false failure costs more than a missed one. A block whose final line
      // is under its threshold was withdrawn (start-up, or the thread waiting for a CPU): none.
      return [...mine.values()].filter((f) => f.site && !withdrawn(f));
    },
  };
}

/**
 * A block line under the threshold it states: the block was withdrawn. (finding.ts `metThreshold`, kept
 * here rather than imported: this file is loaded through the test runner's own loader, each module it
 * loads is one more sync read there, and which reads in the test's process are sampled depends on their
 * count: test/cli/vitest.test.ts.)
 */
function withdrawn(f: TestFinding): boolean {
  const t = (f as { thresholdMs?: unknown }).thresholdMs;
  if (f.kind !== 'block' || typeof t !== 'number') return false;
  const { cpuMs, sleepMs } = f as { cpuMs?: unknown; sleepMs?: unknown };
  return (f.durationMs ?? 0) < t || (typeof cpuMs === 'number' && typeof sleepMs === 'number' && cpuMs + sleepMs < t);
}

/** A finding's duration for thresholds: a block's, or a sync site's slowest call. */
export function durationOf(f: TestFinding): number | null {
  if (f.kind === 'block') return typeof f.durationMs === 'number' ? f.durationMs : null;
  if (typeof f.maxMs === 'number') return f.maxMs;
  return typeof f.durationMs === 'number' ? f.durationMs : null;
}

export function describeFinding(f: TestFinding, cwd = process.cwd()): string {
  const rel = f.site ? relative(cwd, f.site.file) : '';
  const file = f.site && rel && !rel.startsWith('..') ? rel : f.site?.file;
  const at = f.site ? ` at ${file}:${f.site.line} (${f.site.function})` : '';
  if (f.kind === 'block') return `the event loop was blocked ${Math.round(f.durationMs ?? 0)} ms${f.ongoing ? ' (still blocked)' : ''}${at}`;
  if (f.kind === 'sync-io') return `${f.api ?? 'a sync API'} ran on the event loop${isModuleLoad(f) ? ' in a module loader' : ''}${at}`;
  return `${f.kind}${at}: ${f.message}`;
}
