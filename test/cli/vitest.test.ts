// asyncdebug/vitest inside real vitest runs of a fixture project, under `asyncdebug run`: the block
// is attributed to the test that made it, which fails; the other tests pass. Threads and forks pools.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, markerLine, tempDir } from '../helpers.js';
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
    expect(r.tests['quick test']?.status).toBe('passed');
    expect(r.tests['async test after the block']?.status).toBe('passed');
    expect(r.code).toBe(1);
    // asyncdebug run's own table has the same site (at the line of vite's in-memory transform:
    // the agent maps only through source maps on disk; the setup file maps it back, above).
    expect(r.stderr).toMatch(/block\s+blocking\.test\.mjs:\d+ spin\s+1\s/);
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
