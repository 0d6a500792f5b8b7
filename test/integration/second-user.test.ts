// Nothing another local user can redirect: a second user (`nobody`) plants directories, files and
// symlinks where the agent used to write by a predictable name, or in a shared report directory, before
// the app starts; the victim is a file of the app's user (root) that only it can read. The app's pid is
// known before the agent runs: a shell waits, the test plants, then the shell execs node (same pid).
// Runs as root (to be two users); otherwise skips, saying why.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapFileName } from '../../src/frames/exported-maps.js';
import { fixture, latest, markerLine, readReports, ROOT, tempDir, type Line } from '../helpers.js';
import { CLI_FIXTURES, runCli } from '../cli/cli-helpers.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
if (!isRoot) console.log('second-user tests skipped: they need root, to act as a second local user (nobody) with setpriv');

/** Runs a shell command as nobody. */
function asNobody(script: string): void {
  execFileSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'sh', '-euc', script], { stdio: 'pipe' });
}

/** A directory everyone may write in, as /tmp is (mode 1777). */
function sharedDir(): string {
  const dir = tempDir('asyncdebug-shared-');
  chmodSync(dir, 0o1777);
  return dir;
}

/** A file only root can read, with a secret in it: what the planted symlinks point at. */
function victim(): { path: string; text: string } {
  const path = join(tempDir('asyncdebug-victim-'), 'secret');
  const text = 'root-only secret\n';
  writeFileSync(path, text, { mode: 0o600 });
  return { path, text };
}

interface Held {
  pid: number;
  /** Lets the shell exec the app, and waits for it. */
  run(): Promise<{ code: number | null; stderr: string; stdout: string }>;
}

/** The app under a shell that waits for a line before it execs node: its pid is known beforehand. */
function held(nodeArgs: string[], env: Record<string, string | undefined>): Held {
  const full: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', ...env })) if (v !== undefined) full[k] = v;
  const child = spawn('sh', ['-c', 'read _ && exec "$@"', 'sh', process.execPath, ...nodeArgs], { cwd: ROOT, env: full, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return {
    pid: child.pid!,
    async run() {
      child.stdin.end('go\n');
      const limit = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(limit);
      return { code, stderr, stdout };
    },
  };
}

const blockLines = (lines: Line[]) => latest(lines).filter((l) => l.kind === 'block');

describe.skipIf(!isRoot)('a second local user cannot redirect what the agent writes', () => {
  it('the exported source maps: a planted maps directory (mode 777, a symlink named like the map) is never used; the file stays intact and the block is at its .ts line', async () => {
    const tmp = sharedDir();
    const reports = tempDir();
    const secret = victim();
    const app = fixture('tsx/app.ts');
    const h = held(['--import', 'asyncdebug', '--import', 'tsx', app], { TMPDIR: tmp, ASYNC_DEBUG_REPORT_DIR: reports, ASYNC_DEBUG_REPORTERS: 'json' });
    // Where the agent used to put the map of app.ts: $TMPDIR/asyncdebug-maps-<pid>/<hash>.json.
    const trap = join(tmp, `asyncdebug-maps-${h.pid}`);
    asNobody(`mkdir -m 0777 '${trap}' && ln -s '${secret.path}' '${join(trap, mapFileName(app))}'`);
    const r = await h.run();
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(secret.path, 'utf8')).toBe(secret.text);
    expect(statSync(secret.path).mode & 0o777).toBe(0o600);
    const found = blockLines(readReports(reports));
    expect(found.map((b) => `${b.site?.file}:${b.site?.line}`), JSON.stringify(found)).toEqual([`${app}:${markerLine(app)}`]);
    expect(found[0]!.site).not.toHaveProperty('generated');
    // The maps went to this user's own temp directory, which is private, and were removed at exit.
    const own = join(tmp, 'asyncdebug-0');
    expect(statSync(own).mode & 0o777).toBe(0o700);
    expect(readdirSync(own).filter((n) => n.startsWith(`maps-${h.pid}-`))).toEqual([]);
    expect(readdirSync(trap)).toEqual([mapFileName(app)]);
  });

  it("this user's temp directory made first by the other user (mode 777) is refused with one warning: nothing is written there, the block is still found", async () => {
    const tmp = sharedDir();
    const reports = tempDir();
    const secret = victim();
    const app = fixture('tsx/app.ts');
    const own = join(tmp, 'asyncdebug-0');
    asNobody(`mkdir -m 0777 '${own}'`);
    const h = held(['--import', 'asyncdebug', '--import', 'tsx', app], { TMPDIR: tmp, ASYNC_DEBUG_REPORT_DIR: reports, ASYNC_DEBUG_REPORTERS: 'json' });
    asNobody(`for i in 1 2 3; do ln -s '${secret.path}' '${own}/maps-${h.pid}-'$i; done`);
    const r = await h.run();
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(secret.path, 'utf8')).toBe(secret.text);
    expect(r.stderr.match(/asyncdebug: .*asyncdebug-0 belongs to another user \(uid 65534\)/g), r.stderr).toHaveLength(1);
    expect(readdirSync(own).sort()).toEqual([1, 2, 3].map((i) => `maps-${h.pid}-${i}`));
    const found = blockLines(readReports(reports));
    expect(found).toHaveLength(1);
    // Without the thread's map the watchdog keeps the position it has, and says it is one in transpiled code.
    expect(found[0]!.site?.file).toBe(app);
  });

  it('a symlink planted as asyncdebug-<pid>.jsonl in a shared report directory is never followed: a fresh file (mode 600), one warning', async () => {
    const reports = sharedDir();
    const secret = victim();
    const app = fixture('busy-loop.mjs');
    const h = held(['--import', 'asyncdebug', app], { ASYNC_DEBUG_REPORT_DIR: reports, ASYNC_DEBUG_REPORTERS: 'json' });
    const planted = join(reports, `asyncdebug-${h.pid}.jsonl`);
    asNobody(`ln -s '${secret.path}' '${planted}'`);
    const r = await h.run();
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(secret.path, 'utf8')).toBe(secret.text);
    expect(lstatSync(planted).isSymbolicLink()).toBe(true);
    expect(r.stderr.match(/already exists and is not this process's: not writing to it/g)).toHaveLength(1);
    const fresh = readdirSync(reports).filter((n) => n !== `asyncdebug-${h.pid}.jsonl`);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatch(new RegExp(`^asyncdebug-${h.pid}-[a-z0-9]+\\.jsonl$`));
    const st = statSync(join(reports, fresh[0]!));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(0);
    const lines = readFileSync(join(reports, fresh[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(blockLines(lines).map((b) => b.site?.line)).toEqual([markerLine(app)]);
  });

  it('a file planted as asyncdebug-<pid>.jsonl (mode 666, for reading the findings) gets nothing', async () => {
    const reports = sharedDir();
    const app = fixture('busy-loop.mjs');
    const h = held(['--import', 'asyncdebug', app], { ASYNC_DEBUG_REPORT_DIR: reports, ASYNC_DEBUG_REPORTERS: 'json' });
    const planted = join(reports, `asyncdebug-${h.pid}.jsonl`);
    asNobody(`: > '${planted}' && chmod 666 '${planted}'`);
    const r = await h.run();
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(planted, 'utf8')).toBe('');
    expect(existsSync(planted)).toBe(true);
    expect(blockLines(readReports(reports))).toHaveLength(1);
  });

  it("ci in a shared report directory: a symlink the other user planted there is not read (a secret's bytes would reach the CI log)", async () => {
    const reports = sharedDir();
    const secret = join(tempDir('asyncdebug-victim-'), 'secret');
    writeFileSync(secret, '{"password":"hunter2"} root-only\n', { mode: 0o600 });
    asNobody(`ln -s '${secret}' '${join(reports, 'asyncdebug-1.jsonl')}'`);
    const r = await runCli(['ci', '--report-dir', reports, '--budget', 'block=5', '--', process.execPath, join(CLI_FIXTURES, 'apps', 'exit-code.mjs')]);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stderr).toContain('asyncdebug-1.jsonl: a symbolic link, not followed');
    expect(r.code, r.stderr).toBe(0);
  });

  it('a report directory the agent creates is private (700) and its report 600; another user cannot read the findings', async () => {
    const reports = join(tempDir(), 'new', 'reports');
    const app = fixture('busy-loop.mjs');
    const h = held(['--import', 'asyncdebug', app], { ASYNC_DEBUG_REPORT_DIR: reports, ASYNC_DEBUG_REPORTERS: 'json' });
    const r = await h.run();
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(reports).mode & 0o777).toBe(0o700);
    const [file] = readdirSync(reports);
    expect(statSync(join(reports, file!)).mode & 0o777).toBe(0o600);
    expect(() => asNobody(`cat '${join(reports, file!)}'`)).toThrow();
  });
});
