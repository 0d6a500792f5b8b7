// The agent lives inside someone else's process: what the app shows must not change.
import { describe, expect, it } from 'vitest';
import { blocks, fixture, markerLine, runNode } from '../helpers.js';

describe('the app is left as it was', () => {
  it('same stdout, exit code and active resources with and without the agent', async () => {
    const file = fixture('quiet.mjs');
    const plain = await runNode(file, { nodeArgs: [], args: ['a', 'b'] });
    // the fixture's own /proc reads are sync I/O: allowed here, this test is about what the app sees
    const watched = await runNode(file, { args: ['a', 'b'], env: { ASYNC_DEBUG_ALLOW_SYNC: 'fs.*' } });
    expect(plain.code).toBe(7);
    expect(watched.code).toBe(7);
    expect(watched.stdout).toBe(plain.stdout);
    expect(watched.stdout).toContain('listening sockets: 0');
    expect(watched.stderr).toBe('');
    // the summary line is there: the agent did run
    expect(watched.lines.map((l) => l.kind)).toEqual(['summary']);
  });

  it('an uncaught exception keeps exit code 1 and Node\'s own error output; the block is kept', async () => {
    const file = fixture('uncaught.mjs');
    const plain = await runNode(file, { nodeArgs: [] });
    const watched = await runNode(file);
    expect(plain.code).toBe(1);
    expect(watched.code).toBe(1);
    expect(watched.stderr).toBe(plain.stderr);
    expect(watched.stderr).toContain('planted failure');
    expect(blocks(watched.lines).map((b) => b.site?.line)).toEqual([markerLine(file)]);
  });

  it('process.exit right after a block: exit code kept and the final duration written', async () => {
    const file = fixture('exit-after-block.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(3);
    const [b] = blocks(run.lines);
    expect(b?.site?.line).toBe(markerLine(file));
    expect(b?.ongoing).toBe(false);
    expect(run.lines.some((l) => l.kind === 'summary')).toBe(true);
  });

  it('SIGTERM with no handler of the app kills by signal at once; the block found before is kept', async () => {
    const file = fixture('signal.mjs');
    const run = await runNode(file, { killOnStdout: 'ready', killSignal: 'SIGTERM' });
    expect(run.signal).toBe('SIGTERM');
    expect(blocks(run.lines).map((b) => b.site?.line), JSON.stringify(run.lines)).toEqual([markerLine(file)]);
  });

  it('Ctrl-C stops an app stuck in an infinite loop, as it does without the agent', async () => {
    const file = fixture('infinite.mjs');
    const run = await runNode(file, {
      killWhen: (lines) => lines.some((l) => l.kind === 'block'),
      killSignal: 'SIGINT',
    });
    expect(run.signal).toBe('SIGINT');
    expect(blocks(run.lines).map((b) => b.site?.line)).toEqual([markerLine(file)]);
  });

  it('error stacks thrown through wrapped APIs (sync I/O, require) are the same as without the agent', async () => {
    const file = fixture('error-stacks.cjs');
    const plain = await runNode(file, { nodeArgs: [] });
    const watched = await runNode(file);
    expect(plain.stdout).toContain('at Timeout._onTimeout');
    expect(watched.stdout).toBe(plain.stdout);
    expect(watched.lines.some((l) => l.kind === 'sync-io')).toBe(true);
  });

  it('ASYNC_DEBUG=0 installs nothing: no report, no output', async () => {
    const run = await runNode(fixture('busy-loop.mjs'), { env: { ASYNC_DEBUG: '0', ASYNC_DEBUG_REPORTERS: undefined } });
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([]);
    expect(run.stderr).toBe('');
  });

  it('bad environment values: one warning line each naming the variable, defaults used, app unharmed', async () => {
    const file = fixture('busy-loop.mjs');
    const run = await runNode(file, {
      env: { ASYNC_DEBUG: 'maybe', ASYNC_DEBUG_SLOW_MS: 'fast', ASYNC_DEBUG_REPORTERS: 'json,carrier-pigeon', ASYNC_DEBUG_STRICT: 'yes please' },
    });
    expect(run.code).toBe(0);
    const warnings = run.stderr.trim().split('\n');
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/^asyncdebug: .*ASYNC_DEBUG="maybe"/);
    expect(run.stderr).toContain('ASYNC_DEBUG_SLOW_MS="fast"');
    expect(run.stderr).toContain('"carrier-pigeon"');
    expect(run.stderr).toContain('ASYNC_DEBUG_STRICT="yes please"');
    // defaults: default mode, 100 ms threshold, json still on
    expect(blocks(run.lines).map((b) => b.site?.line)).toEqual([markerLine(file)]);
  });

  it('an unwritable report directory is one warning, and the app runs on', async () => {
    const run = await runNode(fixture('busy-loop.mjs'), { env: { ASYNC_DEBUG_REPORT_DIR: '/proc/asyncdebug-cannot-write-here' } });
    expect(run.code).toBe(0);
    // /proc: Node 20's recursive mkdir never returns there; the agent must not hang the app
    // one warning, at start; json was the only reporter, so the findings go to the console instead
    expect(run.stderr.split('\n').filter((l) => l.includes('cannot write'))).toHaveLength(1);
    expect(run.stderr).toMatch(/^asyncdebug: cannot write the JSON Lines report in "\/proc.*findings go to the console only\n/);
  });

  it('the console reporter prints the block with the code line, without colors when not a TTY', async () => {
    const file = fixture('busy-loop.mjs');
    const run = await runNode(file, { env: { ASYNC_DEBUG_REPORTERS: 'console', ASYNC_DEBUG_REPORT_DIR: undefined, NO_COLOR: undefined } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('event loop blocked');
    expect(run.stderr).toContain(`busy-loop.mjs:${markerLine(file)}`);
    expect(run.stderr).toContain('while (process.cpuUsage(from).user + process.cpuUsage(from).system < ms * 1000) {}');
    // eslint-disable-next-line no-control-regex
    expect(run.stderr).not.toMatch(/\u001b\[/);
  });
});

describe('with --inspect', () => {
  it('the app can still be debugged, and blocks are still found', async () => {
    const file = fixture('busy-loop.mjs');
    const run = await runNode(file, { nodeArgs: ['--inspect=127.0.0.1:0', '--import', 'asyncdebug'] });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Debugger listening on ws:\/\/127\.0\.0\.1:\d+/);
    expect(blocks(run.lines).map((b) => b.site?.line)).toEqual([markerLine(file)]);
  });
});

describe('other entry points', () => {
  it("import 'asyncdebug/auto' starts only when ASYNC_DEBUG is on", async () => {
    const file = fixture('auto-import.mjs');
    const off = await runNode(file, { nodeArgs: [] });
    expect(off.lines).toEqual([]);
    const on = await runNode(file, { nodeArgs: [], env: { ASYNC_DEBUG: '1' } });
    // (activation is what this test is about: the planted block must be there, at its line)
    expect(blocks(on.lines).map((b) => b.site?.line), JSON.stringify(blocks(on.lines))).toContain(markerLine(file));
    expect(on.lines.find((l) => l.kind === 'summary')?.mode).toBe('debug');
  });

  it('asyncdebug/api: start, subscribe to findings, stop', async () => {
    const file = fixture('api-subscribe.mjs');
    const run = await runNode(file, { nodeArgs: [] });
    expect(run.code).toBe(0);
    const got = JSON.parse(run.stdout.trim()) as { kind: string; line: number; durationMs: number };
    expect(got.kind).toBe('block');
    expect(got.line).toBe(markerLine(file));
    expect(got.durationMs).toBeGreaterThanOrEqual(100);
  });

  it('bin: --version and --help', async () => {
    const { execFileSync } = await import('node:child_process');
    const { ROOT } = await import('../helpers.js');
    const pkg = JSON.parse((await import('node:fs')).readFileSync(`${ROOT}/package.json`, 'utf8'));
    expect(execFileSync(process.execPath, [`${ROOT}/bin/asyncdebug.js`, '--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
    expect(execFileSync(process.execPath, [`${ROOT}/bin/asyncdebug.js`, '--help'], { encoding: 'utf8' })).toContain('ASYNC_DEBUG_SLOW_MS');
  });
});
