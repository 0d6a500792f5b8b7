// Said once per test run: the first thread of a run to ask gets true, every later one false; another
// run (another runner process id) gets its own first; a mark an hour old is another run's.
import { statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstInRun } from '../../../src/integrations/run-once.js';
import { userTempDir } from '../../../src/private-files.js';

describe('firstInRun', () => {
  it('answers true once per runner process id, and again once its mark is stale', () => {
    // ids no process of this machine has (above the kernel's pid_max), fresh for each test run
    const runner = 5_000_000 + Math.floor(Math.random() * 1_000_000);
    expect(firstInRun(runner)).toBe(true);
    expect(firstInRun(runner)).toBe(false);
    expect(firstInRun(runner)).toBe(false);
    expect(firstInRun(runner + 1)).toBe(true);
    const mark = join(userTempDir(), `test-run-said-${runner}`);
    expect(statSync(mark).mode & 0o777).toBe(0o600);
    const hoursAgo = Date.now() / 1000 - 2 * 3600;
    utimesSync(mark, hoursAgo, hoursAgo);
    expect(firstInRun(runner)).toBe(true);
    expect(firstInRun(runner)).toBe(false);
  });
});
