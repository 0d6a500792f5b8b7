// `asyncdebug ci` fails closed: a gate that saw nothing, or part of the run, has not passed (exit 3 with
// one line saying why); `asyncdebug run` says the same as a warning and keeps the command's status.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../helpers.js';
import { CLI_FIXTURES, runCli } from './cli-helpers.js';

const APPS = join(CLI_FIXTURES, 'apps');
const isRoot = process.getuid?.() === 0;
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/**
 * Whether nobody can run this checkout's node and agent (a checkout under a private directory, e.g. a
 * `mktemp -d`, cannot be read by another user): the second-user case needs it, and skips saying why.
 */
function nobodyCanRunHere(): boolean {
  try {
    execFileSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, '-e', `require('node:fs').accessSync(${JSON.stringify(join(APPS, 'exit-code.mjs'))})`], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const failLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('asyncdebug ci: not passed'));

describe('asyncdebug ci fails closed', () => {
  it('when no process of the command reported (the command dropped NODE_OPTIONS): exit 3, one line saying how to pass the agent on', async () => {
    const r = await runCli(['ci', '--budget', 'block=0', '--', 'env', '-u', 'NODE_OPTIONS', process.execPath, join(APPS, 'exit-code.mjs')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('hello from the app');
    const lines = failLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('no process of the command reported');
    expect(lines[0]).toContain('NODE_OPTIONS');
    expect(r.stderr).not.toContain('ci: passed');

    // `run` says the same as a warning, and keeps the command's own status.
    const run = await runCli(['run', '--', 'env', '-u', 'NODE_OPTIONS', process.execPath, join(APPS, 'exit-code.mjs')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/asyncdebug run: warning: no process of the command reported.*NODE_OPTIONS/);
  });

  it('when the agent is off (ASYNC_DEBUG=0)', async () => {
    const r = await runCli(['ci', '--', process.execPath, join(APPS, 'exit-code.mjs')], { env: { ASYNC_DEBUG: '0' } });
    expect(r.code).toBe(3);
    expect(failLines(r.stderr)[0]).toContain('ASYNC_DEBUG=0 turned the agent off');
  });

  it("when the command's process exited normally but its report has no summary (cut short)", async () => {
    const r = await runCli(['ci', '--', process.execPath, join(APPS, 'no-summary.mjs')]);
    expect(r.code).toBe(3);
    const lines = failLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/the command's process \(pid \d+\) exited with code 0 but its report has no summary/);
  });

  it('when a report ends in a cut-off line', async () => {
    // A report whose last write failed part-way, as the disk filled: the gate reads what it can and fails.
    const dir = tempDir();
    const r = await runCli(['ci', '--report-dir', dir, '--', process.execPath, '-e', `
      const { appendFileSync, readdirSync } = require('node:fs');
      const dir = process.env.ASYNC_DEBUG_REPORT_DIR;
      setTimeout(() => {
        const own = readdirSync(dir).find((n) => n.startsWith('asyncdebug-' + process.pid));
        process.on('exit', () => appendFileSync(dir + '/' + own, '{"v":1,"id":"cut","kind":"blo'));
      }, 50);`]);
    expect(r.code).toBe(3);
    expect(failLines(r.stderr)[0]).toMatch(/a report is damaged \(.*asyncdebug-\d+.*\.jsonl:\d+: cut off/);
  });

  it('when no report directory can be made, before the command runs: one line naming the directory (never "undefined"), exit 2', async () => {
    for (const name of ['ci', 'run']) {
      const r = await runCli([name, '--', process.execPath, join(APPS, 'exit-code.mjs')], { env: { TMPDIR: '/nonexistent/asyncdebug-test' } });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`asyncdebug ${name}: cannot make a report directory: cannot use /nonexistent/asyncdebug-test/asyncdebug-`);
      expect(r.stderr).not.toContain('undefined');
    }
  });

  it('when --sarif cannot be written', async () => {
    const r = await runCli(['ci', '--sarif', '/proc/asyncdebug-no-such/out.sarif', '--', process.execPath, join(APPS, 'exit-code.mjs')]);
    expect(r.code).toBe(3);
    expect(failLines(r.stderr)[0]).toContain('cannot write --sarif /proc/asyncdebug-no-such/out.sarif');
  });

  it('when the report directory cannot be written by the command (it runs as another user)', async (ctx) => {
    if (isRoot && !nobodyCanRunHere()) {
      console.log('skipped: the command would run as nobody, who cannot read this checkout (it is under a private directory)');
      ctx.skip();
    }
    const dir = tempDir();
    // As root, the command runs as nobody (root could write anywhere); otherwise the directory is made read-only.
    const prefix = isRoot ? AS_NOBODY : [];
    if (!isRoot) chmodSync(dir, 0o555);
    const r = await runCli(['ci', '--report-dir', dir, '--', ...prefix, process.execPath, join(APPS, 'exit-code.mjs')]);
    expect(r.stdout).toContain('hello from the app');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('asyncdebug: cannot write the JSON Lines report');
    expect(failLines(r.stderr)[0]).toContain('no process of the command reported');

    // Said once for the process, though its workers and its watchdog would write there too.
    const threads = await runCli(['ci', '--report-dir', dir, '--', ...prefix, process.execPath, fixture('worker-main.mjs')]);
    expect(threads.code).toBe(3);
    expect(threads.stderr.match(/cannot write the JSON Lines report/g), threads.stderr).toHaveLength(1);
  });
});

describe('a full disk (a 4 kB tmpfs)', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', [m]);
  });

  function smallDisk(): string | null {
    if (!isRoot) return null;
    const dir = tempDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      return null;
    }
    mounts.push(dir);
    return dir;
  }

  it('the agent says so once, and ci fails closed on the cut-off report', async (ctx) => {
    const disk = smallDisk();
    if (!disk) {
      console.log('skipped: mounting a small tmpfs needs root (and a kernel that lets this process mount)');
      ctx.skip();
      return;
    }
    const reports = join(disk, 'reports');
    mkdirSync(reports);
    const r = await runCli(['ci', '--report-dir', reports, '--budget', 'sync-io=100', '--', process.execPath, join(APPS, 'many-sync-sites.mjs')]);
    expect(r.stdout).toContain('done');
    // One warning for the whole process, however many threads and lines failed after it.
    expect(r.stderr.match(/asyncdebug: cannot write the JSON Lines report/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot write the JSON Lines report .* \((ENOSPC|only \d+ of its \d+ bytes)/);
    expect(r.code).toBe(3);
    expect(failLines(r.stderr)[0]).toMatch(/cut off|no summary/);
    const file = readdirSync(reports).find((n) => n.endsWith('.jsonl'))!;
    expect(readFileSync(join(reports, file), 'utf8').endsWith('\n')).toBe(false);
  });

  it("the watchdog's failed write (block lines) is said once too", async (ctx) => {
    const disk = smallDisk();
    if (!disk) {
      console.log('skipped: mounting a small tmpfs needs root (and a kernel that lets this process mount)');
      ctx.skip();
      return;
    }
    const reports = join(disk, 'reports');
    mkdirSync(reports);
    const r = await runCli(['run', '--quiet', '--report-dir', reports, '--', process.execPath, join(APPS, 'five-blocks.mjs')], { env: { ASYNC_DEBUG_SYNC_AFTER: 'listening' } });
    expect(r.code).toBe(0);
    expect(r.stderr.match(/asyncdebug: cannot write the JSON Lines report/g), r.stderr).toHaveLength(1);
    // Said when the watchdog's write failed, while the app ran: before the app's last line, not at its exit.
    expect(r.stderr.indexOf('cannot write the JSON Lines report')).toBeLessThan(r.stderr.indexOf('done\n'));
    expect(r.stderr).toMatch(/asyncdebug run: warning: .*(cut off|no summary)/);
  });
});
