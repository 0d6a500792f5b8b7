// The per-test watcher reads the agent's configuration as the agent does: the report file is the json
// reporter's (reportPath), ASYNC_DEBUG and the report directory parsed by the one config parser.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { reportPath } from '../../../src/config.js';
import { createTestWatcher, notWatchedReason } from '../../../src/integrations/test-findings.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('test findings: the agent config', () => {
  it.each([' OFF ', 'false', '0'])('ASYNC_DEBUG=%j is off, as the agent reads it', (value) => {
    expect(notWatchedReason({ ASYNC_DEBUG: value, ASYNC_DEBUG_REPORT_DIR: '/tmp/r' })).toContain('ASYNC_DEBUG is off');
  });

  it('a blank or missing report directory is none; a bad ASYNC_DEBUG value is the default mode, which is watched', () => {
    expect(notWatchedReason({ ASYNC_DEBUG_REPORT_DIR: '  ' })).toContain('no ASYNC_DEBUG_REPORT_DIR');
    expect(notWatchedReason({})).toContain('no ASYNC_DEBUG_REPORT_DIR');
    expect(notWatchedReason({ ASYNC_DEBUG: 'maybe', ASYNC_DEBUG_REPORT_DIR: '/tmp/r' })).toBeNull();
    expect(createTestWatcher({ ASYNC_DEBUG: 'off', ASYNC_DEBUG_REPORT_DIR: '/tmp/r' })).toBeNull();
  });

  it("reads this thread's findings from the json reporter's file of this process", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-tf-'));
    dirs.push(dir);
    const watcher = createTestWatcher({ ASYNC_DEBUG_REPORT_DIR: ` ${dir} ` })!;
    await watcher.begin();
    const site = { file: '/app/a.test.ts', line: 3, column: 1, function: 'slow' };
    const line = (id: string, thread: number) => JSON.stringify({ v: 1, id, kind: 'sync-io', time: 1, pid: process.pid, threadId: thread, message: 'm', site, frames: [site], api: 'fs.readFileSync' });
    appendFileSync(reportPath(dir), `${line('mine', threadId)}\n${line('other-thread', threadId + 1)}\n`);
    expect((await watcher.end(0)).map((f) => f.id)).toEqual(['mine']);
  });
});
