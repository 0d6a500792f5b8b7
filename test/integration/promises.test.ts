import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, fixture, latest, markerLine, runNode, type Line } from '../helpers.js';

const DEBUG = { ASYNC_DEBUG: '1' };
const PROMISE_KINDS = ['unawaited', 'unhandled-rejection', 'never-settled'];

function promiseFindings(lines: Line[]): Line[] {
  return latest(lines).filter((l) => PROMISE_KINDS.includes(l.kind));
}

function describeAll(lines: Line[]): string {
  return JSON.stringify(promiseFindings(lines).map((l) => [l.kind, l.site?.file, l.site?.line, l.message]));
}

/** The one finding of this kind at the marker's line of the fixture. */
function findingAt(lines: Line[], kind: string, file: string, marker: string): Line {
  const line = markerLine(file, marker);
  const found = promiseFindings(lines).filter((l) => l.kind === kind && l.site?.file === file && l.site.line === line);
  expect(found, `${kind} at ${file}:${line} in ${describeAll(lines)}`).toHaveLength(1);
  return found[0]!;
}

describe('promise detectors (debug mode)', () => {
  it('an idiom-heavy app without misuse has zero findings', async () => {
    const file = fixture('promises-clean.mjs');
    const run = await runNode(file, { env: DEBUG });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"stored":"stored"'); // it ran to the end
    expect(promiseFindings(run.lines), describeAll(run.lines)).toEqual([]);
    const summary = run.lines.find((l) => l.kind === 'summary')!;
    expect(summary.mode).toBe('debug');
  });

  it("a node:test file: the runner's own pending deferreds are not findings", async () => {
    const file = fixture('promises-node-test.mjs');
    const run = await runNode(file, { env: DEBUG });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/[#ℹ] pass 4/); // TAP (Node 20) or the spec reporter (Node 24)
    expect(promiseFindings(run.lines), describeAll(run.lines)).toEqual([]);
  });

  it('a missing await is unawaited at its line; void, .catch() and an IIFE are not', async () => {
    const file = fixture('promises-unawaited.mjs');
    const run = await runNode(file, { env: DEBUG });
    expect(run.code).toBe(0);
    const app = findingAt(run.lines, 'unawaited', file, '@unawaited');
    expect(app.settled).toBe('fulfilled');
    expect(app.function).toBe('saveUser');
    expect(app.frames[0]).toMatchObject({ file, function: 'handle' });
    const node = findingAt(run.lines, 'unawaited', file, '@unawaited-node');
    expect(node.function).toBe('writeFile');
    expect(promiseFindings(run.lines), describeAll(run.lines)).toHaveLength(2);
    const summary = run.lines.find((l) => l.kind === 'summary')!;
    expect((summary.counts as Record<string, number>).unawaited).toBe(2);
  });

  it('with another promise hook installed (async_hooks), the same findings', async () => {
    const file = fixture('promises-unawaited.mjs');
    const run = await runNode(file, { env: DEBUG, nodeArgs: ['--import', fixture('promises-other-hook.mjs'), '--import', 'asyncdebug'] });
    expect(run.code).toBe(0);
    findingAt(run.lines, 'unawaited', file, '@unawaited');
    findingAt(run.lines, 'unawaited', file, '@unawaited-node');
    expect(promiseFindings(run.lines), describeAll(run.lines)).toHaveLength(2);
    const never = fixture('promises-never.mjs');
    const stuck = await runNode(never, { env: DEBUG, nodeArgs: ['--import', fixture('promises-other-hook.mjs'), '--import', 'asyncdebug'] });
    findingAt(stuck.lines, 'never-settled', never, '@never-settled');
    expect(promiseFindings(stuck.lines), describeAll(stuck.lines)).toHaveLength(1);
  });

  it('an unawaited promise is written when it is collected, not only at exit', async () => {
    const file = fixture('promises-collected.mjs');
    const run = await runNode(file, {
      env: DEBUG,
      nodeArgs: ['--expose-gc', '--import', 'asyncdebug'],
      killWhen: (lines) => lines.some((l) => l.kind === 'unawaited'),
    });
    expect(run.signal).toBe('SIGKILL'); // killed once the line was there: no exit handler wrote it
    const found = findingAt(run.lines, 'unawaited', file, '@unawaited');
    expect(found.message).toContain('collected');
  });

  it('array.forEach(async ...) whose callback rejects: unhandled-rejection at the forEach; Node crashes as it would', async () => {
    const file = fixture('promises-foreach.mjs');
    const bare = await runNode(file, { nodeArgs: [] });
    const run = await runNode(file, { env: DEBUG });
    expect(bare.code).toBe(1);
    expect(run.code).toBe(bare.code);
    expect(run.stderr).toBe(bare.stderr);
    expect(run.stderr).toContain('Error: cannot notify bob');
    const found = findingAt(run.lines, 'unhandled-rejection', file, '@foreach');
    expect(found.error).toEqual({ name: 'Error', message: 'cannot notify bob' });
    // the dropped callback promises are Node's (forEach's) to await: not unawaited; the crash is no never-settled
    expect(promiseFindings(run.lines), describeAll(run.lines)).toHaveLength(1);
  });

  it('an unhandled rejection from a nested async chain points where the chain was started', async () => {
    const file = fixture('promises-nested.mjs');
    const bare = await runNode(file, { nodeArgs: [] });
    const run = await runNode(file, { env: DEBUG });
    expect(run.code).toBe(bare.code);
    expect(run.stderr).toBe(bare.stderr);
    const found = findingAt(run.lines, 'unhandled-rejection', file, '@nested');
    expect(found.error).toMatchObject({ name: 'SyntaxError' });
    expect(found.function).toBe('start');
    expect(found.frames.map((f) => f.function)).toContain('boot');
    // the same promise was never awaited either: one finding, the rejection
    expect(promiseFindings(run.lines), describeAll(run.lines)).toHaveLength(1);
  });

  it("with the app's own unhandledRejection handler, the handler runs as without the agent", async () => {
    const file = fixture('promises-nested.mjs');
    const bare = await runNode(file, { nodeArgs: [], args: ['--handled'] });
    const run = await runNode(file, { env: DEBUG, args: ['--handled'] });
    expect(bare.code).toBe(3);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe(bare.stdout);
    expect(run.stderr).toBe(bare.stderr);
    findingAt(run.lines, 'unhandled-rejection', file, '@nested');
  });

  it('a wrapper that never settles on one path: never-settled at the new Promise, with who awaited it', async () => {
    const file = fixture('promises-never.mjs');
    const bare = await runNode(file, { nodeArgs: [] });
    const run = await runNode(file, { env: DEBUG });
    expect(run.code).toBe(bare.code);
    expect(run.stdout).toBe(bare.stdout);
    const found = findingAt(run.lines, 'never-settled', file, '@never-settled');
    expect(found.atNaturalEnd).toBe(true);
    const awaitedBy = found.awaitedBy as Line['frames'];
    expect(awaitedBy[0]).toMatchObject({ file, line: markerLine(file, '@awaited'), function: 'main' });
    expect(promiseFindings(run.lines), describeAll(run.lines)).toHaveLength(1);
  });

  it('a signal ends the process at once, as without the agent (no listener of the agent delays it)', async () => {
    const file = fixture('promises-never.mjs');
    const run = await runNode(file, { env: DEBUG, args: ['--keep-alive'], killOnStdout: 'ready', killSignal: 'SIGTERM' });
    expect(run.signal).toBe('SIGTERM');
    // the agent adds no signal listener (Ctrl-C must stop a stuck loop): nothing is written at a signal
    expect(promiseFindings(run.lines)).toEqual([]);
  });

  it('a promise collected while awaited is never-settled right then (it can never settle)', async () => {
    const file = fixture('promises-never.mjs');
    const run = await runNode(file, {
      env: DEBUG,
      args: ['--gc'],
      nodeArgs: ['--expose-gc', '--import', 'asyncdebug'],
      killWhen: (lines) => lines.some((l) => l.kind === 'never-settled'),
    });
    expect(run.signal).toBe('SIGKILL'); // killed once the line was there: no exit handler wrote it
    const found = findingAt(run.lines, 'never-settled', file, '@never-settled');
    expect(found.collected).toBe(true);
  });

  it("5,000 distinct unawaited sites collected at once: findings made a few ms per turn, the loop never blocked by the agent's bookkeeping", async () => {
    // Before: the collection callback made every finding in one turn (300 ms here, 1 s elsewhere).
    const run = await runNode(fixture('promises-many-sites.mjs'), { env: { ...DEBUG, ASYNC_DEBUG_SLOW_MS: '200' }, nodeArgs: ['--expose-gc', '--import', 'asyncdebug'] });
    expect(run.code).toBe(0);
    const unawaited = promiseFindings(run.lines).filter((l) => l.kind === 'unawaited');
    expect(unawaited.length).toBeGreaterThanOrEqual(150);
    expect(new Set(unawaited.map((l) => l.site?.line)).size).toBe(unawaited.length);
    // The app's own call of 5,000 functions may be slow on a loaded machine; a block with the agent's own
    // code on the stack (its hooks recording, its findings being made) is the agent blaming the app.
    const agentFile = (file: string) => file.startsWith(join(ROOT, 'src')) || file.startsWith(join(ROOT, 'dist'));
    const agentBlocks = latest(run.lines).filter((l) => l.kind === 'block' && (l.site?.function !== 'callAll' || l.frames.some((f) => agentFile(f.file))));
    expect(agentBlocks, JSON.stringify(agentBlocks)).toEqual([]);
    const summary = run.lines.find((l) => l.kind === 'summary' && l.threadId === 0)!;
    expect(summary.unnamedBlocks).toBe(0);
  });

  it('a top-level throw is the module\'s uncaught error, not an unhandled rejection (also with --unhandled-rejections=strict, where a real one still is)', async () => {
    const file = fixture('promises-top-level-throw.mjs');
    for (const strict of [false, true]) {
      const nodeArgs = [...(strict ? ['--unhandled-rejections=strict'] : []), '--import', 'asyncdebug'];
      const thrown = await runNode(file, { env: DEBUG, nodeArgs });
      expect(thrown.code).toBe(1);
      expect(thrown.stderr).toContain('Error: thrown at the top level');
      expect(promiseFindings(thrown.lines), describeAll(thrown.lines)).toEqual([]);
      const rejected = await runNode(file, { env: DEBUG, nodeArgs, args: ['reject'] });
      expect(rejected.code).toBe(1);
      // Strict mode raises before Node emits, without the promise: the finding has no site then.
      const found = promiseFindings(rejected.lines).filter((l) => l.kind === 'unhandled-rejection');
      expect(found, describeAll(rejected.lines)).toHaveLength(1);
      expect(found[0]!.error).toEqual({ name: 'Error', message: 'a real unhandled rejection' });
      if (!strict) expect(found[0]!.site?.line).toBe(markerLine(file, '@reject'));
    }
  });

  it('default mode makes no promise finding', async () => {
    const file = fixture('promises-unawaited.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    expect(promiseFindings(run.lines)).toEqual([]);
    expect(run.lines.find((l) => l.kind === 'summary')!.mode).toBe('default');
  });
});
