// asyncdebug/vitest inside real vitest runs of a fixture project, under `asyncdebug run`: the block
// is attributed to the test that made it, which fails; the other tests pass. Threads and forks pools.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, latest, markerLine, readReports, tempDir } from '../helpers.js';
import { CLI_FIXTURES, runCli } from './cli-helpers.js';

const PROJECT = join(CLI_FIXTURES, 'vitest-project');
const TEST_FILE = join(PROJECT, 'blocking.test.mjs');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string; failureMessages: string[]; meta?: { asyncdebug?: unknown[] } }[] }[];
}

async function vitestRun(pool: 'threads' | 'forks', failOn: 'block' | 'none') {
  const out = tempDir();
  const outputFile = join(out, 'results.json');
  const r = await runCli(['run', '--quiet', '--', process.execPath, VITEST, 'run', '--reporter=json', `--outputFile=${outputFile}`], {
    cwd: PROJECT,
    env: { FIXTURE_POOL: pool, FIXTURE_FAIL_ON: failOn, FIXTURE_CACHE_DIR: join(out, 'cache') },
    timeoutMs: 60_000,
  });
  const report = JSON.parse(readFileSync(outputFile, 'utf8')) as JsonReport;
  const tests = Object.fromEntries(report.testResults.flatMap((f) => f.assertionResults).map((t) => [t.title, t]));
  return { ...r, tests, report };
}

describe('asyncdebug/vitest', () => {
  it('fails the test that blocked, and only that one (threads pool)', async () => {
    const r = await vitestRun('threads', 'block');
    expect(r.tests['blocking test']?.status).toBe('failed');
    expect(r.tests['blocking test']?.failureMessages.join('\n')).toContain(`asyncdebug: in this test the event loop was blocked`);
    expect(r.tests['blocking test']?.failureMessages.join('\n')).toContain(`at blocking.test.mjs:${markerLine(TEST_FILE)} (spin)`);
    // No frames of the setup file's own (through the package's source maps they named src/ files, which a
    // user's install does not have): the message is the failure.
    expect(r.tests['blocking test']?.failureMessages.join('\n')).not.toMatch(/[/\\](src|dist)[/\\]/);
    expect(r.tests['quick test']?.status).toBe('passed');
    expect(r.tests['async test after the block']?.status).toBe('passed');
    expect(r.code).toBe(1);
    // asyncdebug run's own table has the same site: the agent maps vite's in-memory transform with the
    // runner's own map, which the thread gives the watchdog.
    expect(r.stderr).toMatch(new RegExp(`block\\s+blocking\\.test\\.mjs:${markerLine(TEST_FILE)} spin ← <anonymous>\\s+1\\s`));
  });

  it('without failOn it attributes the block to its test and lets it pass (forks pool)', async () => {
    const r = await vitestRun('forks', 'none');
    expect(r.code).toBe(0);
    expect(Object.values(r.tests).map((t) => t.status)).toEqual(['passed', 'passed', 'passed']);
    // The attribution is in the test's meta (for reporters), at the source line.
    expect(r.tests['blocking test']?.meta?.asyncdebug).toEqual([
      expect.objectContaining({ kind: 'block', file: TEST_FILE, line: markerLine(TEST_FILE), function: 'spin' }),
    ]);
    expect(r.tests['quick test']?.meta?.asyncdebug).toBeUndefined();
    expect(r.tests['async test after the block']?.meta?.asyncdebug).toBeUndefined();
  });
});

describe('asyncdebug/vitest without asyncdebug run', () => {
  it.each(['threads', 'forks'])('says why it watches nothing once for the run, not once per test file (%s pool)', async (pool) => {
    const out = tempDir();
    const r = spawnSync(process.execPath, [VITEST, 'run'], {
      cwd: join(CLI_FIXTURES, 'vitest-unwatched'),
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: '', ASYNC_DEBUG_REPORT_DIR: '', FIXTURE_POOL: pool, FIXTURE_CACHE_DIR: join(out, 'cache'), NO_COLOR: '1' },
    });
    expect(r.stdout, r.stderr).toMatch(/Tests\s+3 passed/);
    expect(`${r.stdout}${r.stderr}`.match(/asyncdebug\/vitest: no ASYNC_DEBUG_REPORT_DIR/g)).toHaveLength(1);
    expect(r.status).toBe(0);
  });
});

// vitest 3 cannot be a devDependency beside vitest 4 (their optional peers conflict for npm ci): to
// check it too, install vitest@3.2 in a directory of its own and point ASYNCDEBUG_TEST_VITEST3 at its
// node_modules/vitest/vitest.mjs.
const VITEST3 = process.env.ASYNCDEBUG_TEST_VITEST3;
const RUNNERS: [string, string | undefined][] = [['vitest (devDependency)', VITEST], ['vitest 3 (ASYNCDEBUG_TEST_VITEST3)', VITEST3]];

describe.each(RUNNERS)('asyncdebug/vitest, a project importing TypeScript modules, %s', (_name, vitestBin) => {
  const project = join(CLI_FIXTURES, 'vitest-imports');
  const testFile = join(project, 'imports.spec.ts');
  const index = join(project, 'src', 'index.ts');

  it.skipIf(!vitestBin)("the runner's own reads are module loading (no import line, no failed test); the app's read is at its source line", async () => {
    const out = tempDir();
    const outputFile = join(out, 'results.json');
    const reportDir = join(out, 'reports');
    await runCli(['run', '--quiet', '--report-dir', reportDir, '--', process.execPath, vitestBin!, 'run', '--reporter=json', `--outputFile=${outputFile}`], {
      cwd: project,
      env: { FIXTURE_CACHE_DIR: join(out, 'cache') },
      timeoutMs: 60_000,
    });
    const report = JSON.parse(readFileSync(outputFile, 'utf8')) as JsonReport;
    const tests = Object.fromEntries(report.testResults.flatMap((f) => f.assertionResults).map((t) => [t.title, t]));
    // failOn: ['block', 'sync-io']: the test importing a module while it runs passes; the one that reads fails
    expect(tests['imports are loaded by the runner']?.status).toBe('passed');
    expect(tests['a module imported while the test runs']?.status).toBe('passed');
    expect(tests['reads its own file synchronously']?.status).toBe('failed');
    expect(tests['reads its own file synchronously']?.failureMessages.join('\n')).toContain(`at src/index.ts:${markerLine(index, '@app-read')} (sizeOfSelf)`);

    const sync = latest(readReports(reportDir)).filter((l) => l.kind === 'sync-io');
    const atImports = sync.filter((l) => l.site?.file === testFile || (l.site?.file === index && l.site.line !== markerLine(index, '@app-read')));
    expect(atImports, JSON.stringify(atImports.map((l) => l.site))).toEqual([]);
    const loaders = sync.filter((l) => l.phase === 'module-load');
    expect(loaders.length).toBeGreaterThan(0);
    for (const l of loaders) expect(l.site?.file).toContain(`${sep}node_modules${sep}`);
    // the app's read, at its source line (vite moved the imports), by the agent itself
    const own = sync.filter((l) => l.phase === undefined);
    expect(own.map((l) => [l.site?.file, l.site?.line])).toEqual([[index, markerLine(index, '@app-read')]]);
  });
});
