// `asyncdebug/vitest`: a vitest setup file that attributes findings to the test that was running when
// they were made, and can fail that test. It reads this process's own JSON Lines report
// (ASYNC_DEBUG_REPORT_DIR/asyncdebug-<pid>.jsonl, set by `asyncdebug run|ci`) rather than
// subscribe() from asyncdebug/api: the report holds every thread's findings, blocks included, in the
// threads pool (where a worker thread's subscribers do not get the watchdog's blocks) as in the forks
// pool, it needs no module shared with the agent (vitest may load this file through its own module
// runner), and it can neither keep the process alive nor throw when the agent is off.
import { open } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { setInterval as realSetInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, inject } from 'vitest';
import type { Finding, FindingKind } from './finding.js';

export interface VitestOptions {
  /** Kinds that fail the test they happen in (default none: findings are only shown). */
  failOn?: FindingKind[];
  /** Findings whose duration (a block's, a sync call's slowest) is under this are ignored: ms, or per kind. */
  minMs?: number | Partial<Record<FindingKind, number>>;
  /** Print one line per finding attributed to a test (default true). */
  print?: boolean;
  /** How long the hook after a test waits for a block to be closed by the watchdog (default 2000 ms). */
  waitMs?: number;
}

export interface AttributedFinding {
  kind: string;
  message: string;
  file: string | null;
  line: number | null;
  function: string | null;
  durationMs: number | null;
}

type Line = Finding & { durationMs?: number; maxMs?: number; ongoing?: boolean; api?: string };

// Real clocks: a test's vi.useFakeTimers() replaces the globals, not these captured functions.
const now = Date.now;

/** Per thread, not per module instance: vitest may evaluate this file again for every test file. */
interface ThreadState {
  offset: number;
  partial: string;
  /** Ids already given to a test (or seen between tests). */
  seen: Set<string>;
  lastTurn: number;
  maxGap: number;
  warned: boolean;
}
const STATE = Symbol.for('asyncdebug.vitest.state');
const holder = globalThis as typeof globalThis & { [STATE]?: ThreadState };
const state: ThreadState = (holder[STATE] ??= { offset: 0, partial: '', seen: new Set(), lastTurn: now(), maxGap: 0, warned: false });

let options: VitestOptions = {};
try {
  options = { ...((inject as (key: string) => unknown)('asyncdebug') as VitestOptions | undefined) };
} catch {
  // no `provide: { asyncdebug }` in the config
}

/** Options in code, e.g. in your own setup file: `configure({ failOn: ['block'] })`. */
export function configure(next: VitestOptions): void {
  options = { ...options, ...next };
}

const reportDir = process.env.ASYNC_DEBUG_REPORT_DIR?.trim();
const agentOff = /^\s*(0|false|off)\s*$/i.test(process.env.ASYNC_DEBUG ?? '');
const slowMs = Number(process.env.ASYNC_DEBUG_SLOW_MS) >= 1 ? Number(process.env.ASYNC_DEBUG_SLOW_MS) : 100;
const reportFile = reportDir ? join(resolve(reportDir), `asyncdebug-${process.pid}.jsonl`) : null;

function minFor(kind: string): number {
  const m = options.minMs;
  if (typeof m === 'number') return m;
  return (m as Record<string, number> | undefined)?.[kind] ?? 0;
}

/** Lines this thread's report gained since the last read (whole lines only). */
async function readNew(): Promise<Line[]> {
  if (!reportFile) return [];
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
    const out: Line[] = [];
    for (const raw of text.slice(0, cut + 1).split('\n')) {
      if (!raw.trim()) continue;
      try {
        const f = JSON.parse(raw) as Line;
        if (f.threadId === threadId && f.kind !== 'summary') out.push(f);
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

/**
 * Vitest runs test files transformed in memory (vite adds lines for its imports), so the agent, which
 * maps frames through source maps on disk only, reports the transformed lines. The runner keeps each
 * module's code with its inline map: map the site back with it. Best effort over vitest's worker
 * state (vitest >= 3.2); without it the site stays as reported.
 */
const MAP_PREFIX = '//# sourceMappingURL=data:application/json;base64,';
const sourceMaps = new Map<string, SourceMap | null>();

function runnerMap(file: string): SourceMap | null {
  if (sourceMaps.has(file)) return sourceMaps.get(file) ?? null;
  let map: SourceMap | null = null;
  try {
    const worker = (globalThis as { __vitest_worker__?: { evaluatedModules?: { fileToModulesMap?: Map<string, Set<{ meta?: { code?: string } }>> } } }).__vitest_worker__;
    for (const mod of worker?.evaluatedModules?.fileToModulesMap?.get(file) ?? []) {
      const code = mod.meta?.code;
      const at = code?.lastIndexOf(MAP_PREFIX) ?? -1;
      if (!code || at < 0) continue;
      const end = code.indexOf('\n', at);
      const payload = Buffer.from(code.slice(at + MAP_PREFIX.length, end < 0 ? code.length : end).trim(), 'base64').toString('utf8');
      map = new SourceMap(JSON.parse(payload) as ConstructorParameters<typeof SourceMap>[0]);
      break;
    }
  } catch {
    map = null;
  }
  sourceMaps.set(file, map);
  return map;
}

function mapSite(f: Line): void {
  const site = f.site;
  if (!site) return;
  const map = runnerMap(site.file);
  if (!map) return;
  try {
    const entry = map.findEntry(site.line - 1, site.column - 1) as { originalLine?: number; originalColumn?: number };
    if (typeof entry?.originalLine === 'number') f.site = { ...site, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
  } catch {
    // keep the reported position
  }
}

function durationOf(f: Line): number | null {
  if (f.kind === 'block') return typeof f.durationMs === 'number' ? f.durationMs : null;
  if (typeof f.maxMs === 'number') return f.maxMs;
  return typeof f.durationMs === 'number' ? f.durationMs : null;
}

function describe(f: Line): string {
  const rel = f.site ? relative(process.cwd(), f.site.file) : '';
  const file = f.site && rel && !rel.startsWith('..') ? rel : f.site?.file;
  const at = f.site ? ` at ${file}:${f.site.line} (${f.site.function})` : '';
  if (f.kind === 'block') return `the event loop was blocked ${Math.round(f.durationMs ?? 0)} ms${f.ongoing ? ' (still blocked)' : ''}${at}`;
  if (f.kind === 'sync-io') return `${f.api ?? 'a sync API'} ran on the event loop${at}`;
  return `${f.kind}${at}: ${f.message}`;
}

if (!reportFile || agentOff) {
  if (!state.warned) {
    state.warned = true;
    console.warn(
      agentOff
        ? 'asyncdebug/vitest: ASYNC_DEBUG is off; tests are not watched'
        : 'asyncdebug/vitest: no ASYNC_DEBUG_REPORT_DIR; run vitest under `asyncdebug run -- vitest run` (or `asyncdebug ci`) to attribute findings to tests',
    );
  }
} else {
  // Our own view of the loop: tells the hook after a test that a block may still be closing.
  if (!(holder as { [k: symbol]: unknown })[Symbol.for('asyncdebug.vitest.ticker')]) {
    (holder as { [k: symbol]: unknown })[Symbol.for('asyncdebug.vitest.ticker')] = true;
    realSetInterval(() => {
      const t = now();
      state.maxGap = Math.max(state.maxGap, t - state.lastTurn);
      state.lastTurn = t;
    }, 10).unref();
  }

  beforeEach(async () => {
    // What came before this test (collection, other hooks) belongs to no test.
    for (const f of await readNew()) state.seen.add(f.id);
    state.lastTurn = now();
    state.maxGap = 0;
  });

  afterEach(async (context) => {
    const mine = new Map<string, Line>();
    const take = (lines: Line[]) => {
      for (const f of lines) if (!state.seen.has(f.id) || mine.has(f.id)) mine.set(f.id, f);
    };
    const stuck = () => Math.max(state.maxGap, now() - state.lastTurn) >= slowMs;
    const wasStuck = stuck();
    take(await readNew());
    const limit = now() + (options.waitMs ?? 2000);
    // A block's final line is written when the loop turns again; give the watchdog (or the thread
    // itself) a moment to write it. Nothing is awaited when the test did not hold the loop.
    const quietFor = now() + Math.min(300, options.waitMs ?? 2000);
    while (now() < limit) {
      const open = [...mine.values()].some((f) => f.kind === 'block' && f.ongoing);
      const unseen = wasStuck && ![...mine.values()].some((f) => f.kind === 'block') && now() < quietFor;
      if (!open && !unseen) break;
      await sleep(10);
      take(await readNew());
    }
    for (const id of mine.keys()) state.seen.add(id);

    // Only findings with an application frame: one with no stack (the thread wrote it itself, e.g. a
    // loaded machine that did not schedule the thread) or with only the runner's frames is not the
    // test's doing for sure, and a false failure costs more than a missed one.
    const found = [...mine.values()].filter((f) => f.site && (durationOf(f) ?? Infinity) >= minFor(f.kind));
    for (const f of found) mapSite(f);
    if (found.length === 0) return;
    const attributed: AttributedFinding[] = found.map((f) => ({
      kind: f.kind,
      message: f.message,
      file: f.site?.file ?? null,
      line: f.site?.line ?? null,
      function: f.site?.function ?? null,
      durationMs: durationOf(f),
    }));
    const task = context.task as unknown as { name: string; meta: Record<string, unknown>; file?: { name: string } };
    task.meta.asyncdebug = attributed;
    const where = `${task.file?.name ?? ''} > ${task.name}`;
    for (const f of found) {
      if (options.print !== false) console.warn(`asyncdebug: ${where}: ${describe(f)}`);
      // Test annotations (vitest >= 3.2) show in the reporters, e.g. as GitHub annotations.
      try {
        await (context as unknown as { annotate?: (m: string, t: string) => Promise<unknown> }).annotate?.(describe(f), 'asyncdebug');
      } catch {
        // too late to annotate in this vitest: the line above and task.meta still have it
      }
    }
    const failing = found.filter((f) => options.failOn?.includes(f.kind));
    if (failing.length) {
      throw new Error(`asyncdebug: in this test ${failing.map(describe).join('; ')}`);
    }
  });
}
