// The asyncdebug command line: help, usage errors, `run` and `report`.
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerLine, readReports, tempDir } from '../helpers.js';
import { CLI_FIXTURES, runCli } from './cli-helpers.js';

const app = (name: string) => join(CLI_FIXTURES, 'apps', name);

describe('asyncdebug help and usage errors', () => {
  it('--help names every command, and each command has its own help', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['run', 'ci', 'report']) expect(top.stdout).toContain(`asyncdebug ${cmd} [options]`);
    const helps = await Promise.all(['run', 'ci', 'report'].map((cmd) => runCli([cmd, '--help'])));
    for (const [i, cmd] of ['run', 'ci', 'report'].entries()) {
      const r = helps[i]!;
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: asyncdebug ${cmd} `));
    }
  });

  it('a bad flag, a missing command or a bad budget is one line on stderr and exit 2', async () => {
    const cases = [
      { args: ['ci', '--bogus', '--', 'node', '-e', ''], text: "Unknown option '--bogus'" },
      { args: [], text: 'no command given' },
      { args: ['frobnicate'], text: "unknown command or option 'frobnicate'" },
      { args: ['run'], text: 'no command given' },
      { args: ['ci', '--budget', 'block=lots', '--', 'node', '-e', ''], text: 'bad --budget' },
      { args: ['ci', '--budget', 'blocks=1', '--', 'node', '-e', ''], text: 'unknown kind "blocks"' },
      { args: ['ci', '--baseline', '/nonexistent/b.json', '--', 'node', '-e', ''], text: 'does not exist' },
      { args: ['report'], text: 'no report given' },
    ];
    const results = await Promise.all(cases.map((c) => runCli(c.args)));
    for (const [i, c] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, c.args.join(' ')).toBe(2);
      expect(r.stderr).toContain(c.text);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('asyncdebug run', () => {
  it("keeps the command's exit code and stdout, and prints the summary table on stderr", async () => {
    const dir = tempDir();
    const r = await runCli(['run', '--report-dir', dir, '--', process.execPath, app('exit-code.mjs'), '7']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('hello from the app\n');
    expect(r.stderr).toMatch(new RegExp(`block\\s+test/fixtures/cli/apps/exit-code\\.mjs:${markerLine(app('exit-code.mjs'))} `));
    expect(r.stderr).toContain('the command exited with code 7');
    // The reports are the agent's, in the directory asked for.
    expect(readReports(dir).some((l) => l.kind === 'block')).toBe(true);
  });

  it("keeps the user's NODE_OPTIONS (a quoted path with a space) and adds the agent", async () => {
    const dir = join(tempDir(), 'with space');
    mkdirSync(dir);
    writeFileSync(join(dir, 'pre.cjs'), "globalThis.preloaded = 'yes';\n");
    const r = await runCli(['run', '--quiet', '--', process.execPath, '-e', 'console.log(globalThis.preloaded)'], {
      env: { NODE_OPTIONS: `--require "${join(dir, 'pre.cjs')}"` },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('yes\n');
    // The agent ran too: its thread summary was read back.
    expect(r.stderr).toContain('1 process, 1 thread watched');
  });

  it('finds the blocks of worker threads (the agent follows the command into every thread)', async () => {
    const r = await runCli(['run', '--quiet', '--', process.execPath, app('worker-block.mjs')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`block\\s+test/fixtures/cli/apps/worker-block\\.mjs:${markerLine(app('worker-block.mjs'))} workerSpin .*worker \\d`));
    // --quiet: the agent's own console lines are off.
    expect(r.stderr).not.toContain('loop turned again');
  });

  it('passes SIGTERM on to the command and still prints the summary', async () => {
    let sent = false;
    const r = await runCli(['run', '--', process.execPath, app('wait-signal.mjs')], {
      onStdout: {
        text: 'ready',
        then: (pid) => {
          sent = true;
          process.kill(pid, 'SIGTERM');
        },
      },
    });
    expect(sent).toBe(true);
    expect(r.stdout).toBe('ready\ngot SIGTERM\n');
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('1 process, 1 thread watched');
  });

  it('a command that does not exist: one line, exit 127', async () => {
    const r = await runCli(['run', '--', 'asyncdebug-no-such-command']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('cannot run "asyncdebug-no-such-command": command not found');
  });
});

describe('asyncdebug report', () => {
  it('names a broken or cut-off line by file:line, skips it, and counts superseded lines once', async () => {
    // A report an agent wrote (paths moved to /project): a block written twice (detected, then its
    // final duration), a block without a stack, the thread's summary.
    const dir = tempDir();
    const file = join(dir, 'asyncdebug-4242.jsonl');
    copyFileSync(join(CLI_FIXTURES, 'reports', 'asyncdebug-4242.jsonl'), file);
    const good = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    appendFileSync(file, '{"v":1,"id":"x","kind":"blo\n');
    appendFileSync(file, '{"v":1,"id":"block-0-99","kind":"block","pid":1,"threadId":0,"time":1,"message":"m","site":null,"frames":[],"durationMs":500}\n');
    appendFileSync(file, '{"v":1,"id":"tail","kind":"block"');
    const r = await runCli(['report', '--root', '/project', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${file}:${good + 1}: broken line`);
    expect(r.stderr).toContain(`${file}:${good + 3}: cut off`);
    expect(r.stdout).toContain('2 processes, 2 threads watched');
    expect(r.stdout).toMatch(/block\s+src\/exit-code\.mjs:4 blockThenExit\s+1\s+305 ms\s+305 ms\s+pid 4242 main/);
    expect(r.stdout).toMatch(/block\s+\(no stack\)\s+2\s+500 ms\s+635 ms/);

    const json = await runCli(['report', '--json', '--kind', 'block', '--root', '/project', dir, join(dir, 'missing.jsonl')]);
    expect(json.code).toBe(1);
    expect(json.stderr).toContain('missing.jsonl: no such file or directory');
    const data = JSON.parse(json.stdout) as { sites: { kind: string; file: string | null; count: number; worstMs: number }[] };
    expect(data.sites.every((s) => s.kind === 'block')).toBe(true);
    expect(data.sites.find((s) => s.file === 'src/exit-code.mjs')).toMatchObject({ count: 1, worstMs: 305 });
  });

  it('terminal escapes in a report\'s strings are shown, never sent to the terminal', async () => {
    const dir = tempDir();
    const evil = (s: string) => `${s}\u001b]0;pwned\u0007\u001b[2J\u009b31m`;
    const site = { file: `/project/${evil('a')}.js`, line: 3, column: 1, function: evil('fn') };
    const line = { v: 1, id: 'b1', kind: 'block', pid: 7, threadId: 0, time: 1, message: evil('blocked'), site, frames: [site], durationMs: 300, ongoing: false };
    writeFileSync(join(dir, 'asyncdebug-7.jsonl'), `${JSON.stringify(line)}\n{"v":1,"id":"x\u001b[31m","kind":"blo\n`);
    for (const args of [['report', '--root', '/project', dir], ['report', '--json', dir]]) {
      const r = await runCli(args);
      expect(r.stdout + r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      if (args.includes('--json')) {
        // The JSON keeps the data as it was: the escapes are JSON's own.
        expect((JSON.parse(r.stdout) as { sites: { function: string }[] }).sites[0]!.function).toBe(evil('fn'));
      } else {
        expect(r.stdout).toContain('fn\\u001b]0;pwned\\u0007');
      }
    }
  });

  it('an empty directory is no findings, not an error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'other.txt'), 'not a report');
    const r = await runCli(['report', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no findings');
  });
});
