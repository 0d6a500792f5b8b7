// Once per test run, not once per test file: a runner evaluates its setup module again in every test
// file's worker or process (vitest isolates each file; `node --test` runs each in a process of its own),
// so a warning said at import would print once per file. The first thread to say it leaves a mark named
// by the runner's process id in this user's private temp directory (new file, O_EXCL: exactly one
// thread wins); the others see the mark and stay quiet. Loaded only when there is something to say.
import { join } from 'node:path';
import { closeSync, readdirSync, statSync, unlinkSync } from '../original.js';
import { createNewFile, ensureUserTempDir, userTempDir } from '../private-files.js';

/** A mark older than this is another run's whose process id was reused (or a very long watch session). */
const MARK_TTL_MS = 60 * 60 * 1000;
const MARK = /^test-run-said-(\d+)$/;

/** Removes marks of earlier runs (bounded: one small file per run, kept at most a day). */
function sweep(dir: string, now: number): void {
  for (const name of readdirSync(dir)) {
    if (!MARK.test(name)) continue;
    try {
      if (now - statSync(join(dir, name)).mtimeMs > 24 * MARK_TTL_MS) unlinkSync(join(dir, name));
    } catch {
      // gone already, or another user's file in a directory that was checked to be ours
    }
  }
}

/**
 * Whether this thread is the first of the run started by `runnerPid` to say it (true: say it). Any
 * failure to keep the mark (no private temp directory) answers true: said once per file, never never.
 */
export function firstInRun(runnerPid: number, now = Date.now()): boolean {
  try {
    if (ensureUserTempDir() !== null) return true;
    const dir = userTempDir();
    const mark = join(dir, `test-run-said-${runnerPid}`);
    const claim = () => {
      try {
        closeSync(createNewFile(mark));
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        return false;
      }
    };
    if (claim()) {
      sweep(dir, now);
      return true;
    }
    if (now - statSync(mark).mtimeMs < MARK_TTL_MS) return false;
    // a stale mark: the thread that replaces it says it
    unlinkSync(mark);
    return claim();
  } catch {
    return true;
  }
}
