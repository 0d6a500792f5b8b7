// asyncdebug/node-test inside real `node --test` runs of a fixture project (three test files, each in a
// process of its own), under `asyncdebug run`: the test that blocked (or read a file synchronously) is
// named and, when the project's setup module asks, fails; the other tests pass. Read through the TAP
// reporter, the same on every Node line.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerLine, tempDir } from '../helpers.js';
import { CLI_FIXTURES, runCli } from './cli-helpers.js';
import { spawnSync } from 'node:child_process';

const PROJECT = join(CLI_FIXTURES, 'node-test-project');
const TEST_FILE = join(PROJECT, 'test', 'blocking.test.mjs');
const SITE = `test/blocking.test.mjs:${markerLine(TEST_FILE)} (spin)`;
/** Named, not a directory: Node 20 searches a directory, 22 and later take globs. */
const FILES = ['test/blocking.test.mjs', 'test/other.test.mjs', 'test/third.test.mjs'];

interface TapTest {
  ok: boolean;
  /** The lines after the test's own line up to the next test's (its YAML block, diagnostics after it). */
  body: string;
}

/** Test results by name from TAP output (nested subtests included). */
function tapTests(tap: string): Record<string, TapTest> {
  const tests: Record<string, TapTest> = {};
  const lines = tap.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*(not ok|ok) \d+ - (.+?)\s*$/.exec(line);
    if (!m) return;
    let end = i + 1;
    while (end < lines.length && !/^\s*(not ok|ok) \d+ - |^\s*# Subtest:/.test(lines[end]!)) end++;
    tests[m[2]!] = { ok: m[1] === 'ok', body: lines.slice(i + 1, end).join('\n') };
  });
  return tests;
}

function nodeTest(preload: string, flag = '--import') {
  return ['--', process.execPath, '--test', '--test-reporter=tap', flag, preload, ...FILES];
}

describe('asyncdebug/node-test', () => {
  it('fails the tests that blocked or read synchronously (the innermost one when nested), and only those', async () => {
    const r = await runCli(['run', '--quiet', ...nodeTest('./setup.mjs')], { cwd: PROJECT, timeoutMs: 60_000 });
    const tests = tapTests(r.stdout);
    expect(tests['blocking test']?.ok, r.stdout).toBe(false);
    expect(tests['blocking test']?.body).toContain(`asyncdebug: in this test the event loop was blocked`);
    expect(tests['blocking test']?.body).toContain(`at ${SITE}`);
    expect(tests['reads its own file']?.ok).toBe(false);
    expect(tests['reads its own file']?.body).toContain(`fs.readFileSync ran on the event loop at test/blocking.test.mjs:${markerLine(TEST_FILE, '@sync-read')}`);
    expect(tests['inner test that blocks']?.ok).toBe(false);
    expect(tests['inner test that blocks']?.body).toContain(`at ${SITE}`);
    for (const name of ['quick test', 'async test after the blocks', 'plain', 'also plain']) expect(tests[name]?.ok, name).toBe(true);
    // The failure is ours alone: no frame of the integration's (or of files a user's install lacks).
    expect(tests['blocking test']?.body).not.toMatch(/node-test\.(js|ts|cjs)|src\/integrations/);
    expect(r.code).toBe(1);
  });

  it('without failOn it names the test under it and fails nothing (loaded with --require: the CommonJS entry)', async () => {
    const r = await runCli(['run', '--quiet', ...nodeTest('asyncdebug/node-test', '--require')], { cwd: PROJECT, timeoutMs: 60_000 });
    const tests = tapTests(r.stdout);
    expect(Object.values(tests).every((t) => t.ok), r.stdout).toBe(true);
    expect(tests['blocking test']?.body).toContain(`# asyncdebug: the event loop was blocked`);
    expect(tests['blocking test']?.body).toContain(SITE);
    expect(tests['quick test']?.body).not.toContain('asyncdebug');
    expect(tests['plain']?.body).not.toContain('asyncdebug');
    expect(r.code).toBe(0);
  });

  it('without asyncdebug run it says why once for the whole run (not once per test file) and changes no result', () => {
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--import', 'asyncdebug/node-test', ...FILES], { cwd: PROJECT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '', ASYNC_DEBUG_REPORT_DIR: '' } });
    const said = `${r.stdout}${r.stderr}`.match(/asyncdebug\/node-test: no ASYNC_DEBUG_REPORT_DIR/g) ?? [];
    expect(said.length, `${r.stdout}${r.stderr}`).toBe(1);
    expect(Object.values(tapTests(r.stdout)).every((t) => t.ok)).toBe(true);
    expect(r.status).toBe(0);
  });

  it('in a process that runs no tests it does nothing: no node:test summary is added to its output', () => {
    // (with a report directory, as under asyncdebug run: the hooks would be registered in a test process)
    const env = { ...process.env, NODE_OPTIONS: '', ASYNC_DEBUG_REPORT_DIR: tempDir() };
    const r = spawnSync(process.execPath, ['--import', 'asyncdebug/node-test', '-e', 'console.log("app output")'], { cwd: PROJECT, encoding: 'utf8', timeout: 30_000, env });
    expect(r.stdout).toBe('app output\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
