// `asyncdebug/vitest`: a vitest setup file that attributes findings to the test that was running
// when they were made (file, test name) and can fail that test. Options come from the config's
// `provide: { asyncdebug: {...} }` or from configure() in your own setup file. It needs the agent in
// vitest's processes with a JSON Lines report: run vitest under `asyncdebug run` or `asyncdebug ci`.
import { SourceMap } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { afterEach, beforeEach, inject } from 'vitest';
import { entryAt } from './frames/map-entry.js';
import { runnerMapPayload } from './frames/runner-maps.js';
import {
  createTestWatcher,
  describeFinding,
  durationOf,
  failingFindings,
  keptFindings,
  notWatchedReason,
  testFailure,
  warnOnce,
  type TestFinding,
  type TestOptions,
} from './integrations/test-findings.js';

export type VitestOptions = TestOptions;

/** What a test's `task.meta.asyncdebug` holds, for reporters. */
export interface AttributedFinding {
  kind: string;
  message: string;
  file: string | null;
  line: number | null;
  function: string | null;
  durationMs: number | null;
}

declare module 'vitest' {
  interface ProvidedContext {
    asyncdebug?: VitestOptions;
  }
}

let options: VitestOptions = {};
try {
  options = { ...inject('asyncdebug') };
} catch {
  // no `provide: { asyncdebug }` in the config
}

/** Options in code, e.g. in your own setup file: `configure({ failOn: ['block'] })`. */
export function configure(next: VitestOptions): void {
  options = { ...options, ...next };
}

/**
 * Vitest runs test files transformed in memory (vite moves imports and adds lines). The agent maps
 * sites through the runner's own maps (frames/runner-maps.ts), in the thread for its sync calls and on
 * the watchdog's request for blocks; a site it could not map yet (`generated`: a block's line written
 * before the thread answered) is mapped here, with the same maps.
 */
const sourceMaps = new Map<string, SourceMap | null>();

function runnerMap(file: string): SourceMap | null {
  if (sourceMaps.has(file)) return sourceMaps.get(file) ?? null;
  let map: SourceMap | null = null;
  try {
    const payload = runnerMapPayload(file);
    map = payload ? new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]) : null;
  } catch {
    map = null;
  }
  sourceMaps.set(file, map);
  return map;
}

function mapSite(f: TestFinding): void {
  const site = f.site;
  const map = site?.generated && runnerMap(site.file);
  if (!site || !map) return;
  try {
    const entry = entryAt(map, site.line - 1, site.column - 1);
    if (typeof entry?.originalLine === 'number') {
      const { generated: _, ...rest } = site;
      f.site = { ...rest, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
    }
  } catch {
    // keep the reported position
  }
}

interface TaskLike {
  name: string;
  meta: Record<string, unknown>;
  file?: { name: string };
  suite?: { name: string; suite?: TaskLike['suite']; filepath?: string };
}

/** `file > describe > test`, as vitest's reporters name a test. */
function testPath(task: TaskLike): string {
  const names = [task.name];
  for (let s = task.suite; s && s.filepath === undefined; s = s.suite) if (s.name) names.unshift(s.name);
  return [task.file?.name ?? '', ...names].join(' > ');
}

const watcher = createTestWatcher();
if (!watcher) {
  // Once per run: every test file runs this in a worker of its own (a thread of vitest's process, or
  // with the forks pool a child process of it).
  warnOnce((line) => console.warn(line), `asyncdebug/vitest: ${notWatchedReason()}`, isMainThread ? process.ppid : process.pid);
} else {
  beforeEach(async () => {
    await watcher.begin();
  });

  afterEach(async (context) => {
    const found = keptFindings(await watcher.end(options.waitMs ?? 2000), options);
    if (found.length === 0) return;
    for (const f of found) mapSite(f);
    const task = context.task as unknown as TaskLike;
    task.meta.asyncdebug = found.map((f): AttributedFinding => ({
      kind: f.kind,
      message: f.message,
      file: f.site?.file ?? null,
      line: f.site?.line ?? null,
      function: f.site?.function ?? null,
      durationMs: durationOf(f),
    }));
    const where = testPath(task);
    // (Not context.annotate(): vitest refuses annotations once the test body has finished.)
    if (options.print !== false) for (const f of found) console.warn(`asyncdebug: ${where}: ${describeFinding(f)}`);
    const failing = failingFindings(found, options);
    if (failing.length) throw testFailure(failing);
  });
}
