// `asyncdebug/node-test`: node:test hooks that name the test that was running when a finding was made
// (a block of the event loop, a sync API call, ...) and can fail that test, like asyncdebug/vitest.
// Load it into the test files' processes: `node --test --import asyncdebug/node-test` (or `--require`),
// under `asyncdebug run` or `asyncdebug ci`, which put the agent with a JSON Lines report in every one.
// Options in code: `configure({ failOn: ['block'] })` from a setup module of your own, imported instead.
//
// It registers a beforeEach and an afterEach hook at the top level, which node:test runs around every
// test of the file, subtests included (Node 20 and later; the `tracing:node.test:*` channels of Node
// 24.22+ say when a test starts but cannot fail it). A finding is the test's that was running, the
// innermost one when tests are nested; when tests of a file ran at the same time (`concurrency`), a
// finding may be another's: it is shown, never a failure.
import { afterEach, beforeEach } from 'node:test';
import {
  createTestWatcher,
  describeFinding,
  failingFindings,
  keptFindings,
  notWatchedReason,
  testFailure,
  warnOnce,
  type TestFinding,
  type TestOptions,
} from './integrations/test-findings.js';

export type NodeTestOptions = TestOptions;

let options: NodeTestOptions = {};

/** Options in code, e.g. in your own setup module: `configure({ failOn: ['block', 'sync-io'] })`. */
export function configure(next: NodeTestOptions): void {
  options = { ...options, ...next };
}

/** What the hooks use of node:test's TestContext (fullName: Node 20.16+ and 22.3+). */
interface TestLike {
  name: string;
  fullName?: string;
  diagnostic(message: string): void;
}

interface OpenTest {
  t: TestLike;
  found: TestFinding[];
  /** Another test (not one it runs inside, nor one inside it) ran while this one did. */
  shared: boolean;
}

/**
 * Whether this process runs tests: a test file's process under `node --test` (NODE_TEST_CONTEXT), or
 * `node --test` running them itself (`--test-isolation=none`). Anywhere else a hook would start
 * node:test's harness and add its summary to the process's output. (A process a test starts inherits
 * NODE_TEST_CONTEXT: give this module on the `node --test` command line, which it does not inherit, not
 * in NODE_OPTIONS.)
 */
function runsTests(): boolean {
  if (process.env.NODE_TEST_CONTEXT) return true;
  const args = process.execArgv.join(' ');
  return /(^| )--test( |$)/.test(args) && /--(experimental-)?test-isolation[= ]none\b/.test(args);
}

function within(inner: TestLike, outer: TestLike): boolean {
  if (typeof inner.fullName !== 'string' || typeof outer.fullName !== 'string') return true;
  return inner.fullName.startsWith(`${outer.fullName} > `);
}

/** Shows a test's findings under it and fails it for those of a `failOn` kind (unless tests ran together). */
function settle(t: TestLike, found: TestFinding[], shared: boolean): void {
  const kept = keptFindings(found, options);
  if (kept.length === 0) return;
  const note = shared ? ' (other tests ran at the same time: it may be theirs)' : '';
  if (options.print !== false) for (const f of kept) t.diagnostic(`asyncdebug: ${describeFinding(f)}${note}`);
  const failing = shared ? [] : failingFindings(kept, options);
  if (failing.length) throw testFailure(failing);
}

function watchTests(): void {
  const watcher = createTestWatcher();
  if (!watcher) {
    // Once per run: `node --test` runs every file in a process of its own.
    warnOnce((line) => process.stderr.write(`${line}\n`), `asyncdebug/node-test: ${notWatchedReason()}`, process.env.NODE_TEST_CONTEXT ? process.ppid : null);
    return;
  }
  const open: OpenTest[] = [];
  // (beforeEach and afterEach run around tests only: their context is a TestContext, never a suite's.)
  beforeEach(async (context) => {
    const t = context as unknown as TestLike;
    // What came since the last read is the enclosing test's (before any test: the file's own loading).
    const before = await watcher.begin();
    const top = open[open.length - 1];
    if (top) top.found.push(...before);
    const shared = top !== undefined && !within(t, top.t);
    if (shared) for (const o of open) o.shared = true;
    open.push({ t, found: [], shared });
  });
  afterEach(async (context) => {
    const t = context as unknown as TestLike;
    const i = open.findIndex((o) => o.t === t);
    const found = await watcher.end(options.waitMs ?? 2000);
    if (i < 0) return settle(t, found, true);
    // Not the innermost open test: a test that started after it is still running.
    const [mine] = open.splice(i, 1);
    const shared = mine!.shared || i !== open.length;
    settle(t, [...mine!.found, ...found], shared);
  });
}

if (runsTests()) watchTests();
