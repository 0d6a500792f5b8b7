// The entries (`asyncdebug`, `asyncdebug/auto`, `asyncdebug/api`) and the settings, on real processes.
// Run it under each Node version: `node node_modules/vitest/vitest.mjs run test/integration/entries.test.ts`.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENV_TABLE } from '../../src/env-table.js';
import { ROOT, blocks, fixture, markerLine, readReports, runNode, tempDir } from '../helpers.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const run = promisify(execFile);
/** Output lines that are JSON objects (the fixtures print their observations as JSON). */
const json = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
const merged = (stdout: string) => Object.assign({}, ...json(stdout)) as Record<string, unknown>;
/** The console reporter only, no JSON Lines report. */
const consoleOnly = { ASYNC_DEBUG_REPORTERS: undefined, ASYNC_DEBUG_REPORT_DIR: undefined };

describe('every entry from require and import', () => {
  it('a CommonJS app requires asyncdebug/auto, asyncdebug and asyncdebug/api with ASYNC_DEBUG unset', async () => {
    const file = fixture('entries-require.cjs');
    const r = await runNode(file, { nodeArgs: [] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // require('asyncdebug') starts the agent in default mode, like --import does
    const out = merged(r.stdout);
    expect(out.running).toBe(true);
    expect(out.apis).toEqual(['function', 'function', 'function']);
    // (the planted block must be there, at its line; other blocks are the block detector's business)
    expect(out.seen).toContain(markerLine(file));
    expect(blocks(r.lines).map((b) => b.site?.line)).toContain(markerLine(file));
  });

  it('with ASYNC_DEBUG=0 the same app runs without the agent and subscribe() is a no-op', async () => {
    const r = await runNode(fixture('entries-require.cjs'), { nodeArgs: [], env: { ASYNC_DEBUG: '0' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(merged(r.stdout)).toMatchObject({ running: false, seen: [] });
    expect(r.lines).toEqual([]);
  });

  it('node --require asyncdebug watches a CommonJS app', async () => {
    const file = fixture('entries-start-warning.cjs');
    const r = await runNode(file, { nodeArgs: ['--require', 'asyncdebug'] });
    expect(r.code).toBe(0);
    expect(blocks(r.lines).map((b) => b.site?.line), JSON.stringify(blocks(r.lines))).toContain(markerLine(file));
    expect(r.lines.filter((l) => l.kind === 'summary')).toHaveLength(1);
  });

  it('node --require asyncdebug follows a fork() child started in another directory', async () => {
    const r = await runNode(fixture('fork-parent.mjs'), { nodeArgs: ['--require', 'asyncdebug'] });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('child exited 0');
    expect(new Set(r.lines.filter((l) => l.kind === 'summary').map((l) => l.pid)).size).toBe(2);
  });

  it('asyncdebug/api by import and by require is one agent', async () => {
    const file = fixture('entries-both.mjs');
    const r = await runNode(file, { nodeArgs: [] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = merged(r.stdout);
    expect(out).toMatchObject({ started: true, importedRunning: true, sameError: true, requiredRunningAfterStop: false });
    expect(out.seen).toContain(markerLine(file));
  });

  it('an ESM module importing the entries can be require()d (no top-level await in their graph)', async () => {
    // require(esm) is on by default from Node 22.12; Node 20 has it behind a flag.
    const flags = NODE_MAJOR === 20 ? ['--experimental-require-module', '--no-warnings'] : ['--no-warnings'];
    const off = await runNode(fixture('entries-require-esm.cjs'), { nodeArgs: flags });
    expect(off.stderr).toBe('');
    expect(off.code).toBe(0);
    expect(merged(off.stdout)).toEqual({ running: false });
    const on = await runNode(fixture('entries-require-esm.cjs'), { nodeArgs: flags, env: { ASYNC_DEBUG: '1' } });
    expect(on.code).toBe(0);
    expect(merged(on.stdout)).toEqual({ running: true });
  });

  it('types resolve for both: a .cts consumer through require, a .mts one through import', async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const project = fixture('entries-types/tsconfig.json');
    const r = await run(process.execPath, [tsc, '-p', project, '--traceResolution'], { cwd: ROOT, maxBuffer: 64 << 20 }).catch((e: { stdout: string; code: number }) => e);
    const resolved = [...r.stdout.matchAll(/Module name '(asyncdebug[^']*)' was successfully resolved to '[^']*\/(dist\/[^']+)'/g)].map((m) => `${m[1]} ${m[2]}`);
    // The preload is a CommonJS file for both conditions: its types are the .d.cts for both.
    expect(new Set(resolved)).toEqual(new Set([
      'asyncdebug/api dist/api.d.cts', 'asyncdebug/auto dist/auto.d.cts', 'asyncdebug dist/register.d.cts',
      'asyncdebug/api dist/api.d.ts', 'asyncdebug/auto dist/auto.d.ts',
      'asyncdebug/node-test dist/node-test.d.cts', 'asyncdebug/node-test dist/node-test.d.ts',
      'asyncdebug/vitest dist/vitest.d.cts', 'asyncdebug/vitest dist/vitest.d.ts',
    ]));
    expect(r.stdout.split('\n').filter((l) => /error TS/.test(l))).toEqual([]);
    // module node16: a CommonJS declaration file may not import an ESM one, so the .d.cts types are copies
    const node16 = await run(process.execPath, [tsc, '-p', fixture('entries-types/tsconfig.node16.json')], { cwd: ROOT }).catch((e: { stdout: string }) => e);
    expect(node16.stdout).toBe('');
  });
});

describe('settings', () => {
  it.each(['bogus'])('ASYNC_DEBUG_REPORTERS=%s: one warning, and the block still reaches the console', async (value) => {
    const r = await runNode(fixture('entries-start-warning.cjs'), { env: { ...consoleOnly, ASYNC_DEBUG_REPORTERS: value } });
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('ASYNC_DEBUG_REPORTERS'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('using console');
    // the planted block reaches the console (its final line; the site is the block detector's business)
    expect(r.stderr).toMatch(/blocked (for )?[\d.]+ m?s/);
  });

  it('an unwritable ASYNC_DEBUG_REPORT_DIR is said at start, before the app runs', async () => {
    const r = await runNode(fixture('entries-start-warning.cjs'), { env: { ASYNC_DEBUG_REPORT_DIR: '/proc', ASYNC_DEBUG_REPORTERS: 'json' } });
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    const warning = lines.findIndex((l) => l.startsWith('asyncdebug: cannot write the JSON Lines report in "/proc"'));
    expect(warning, r.stderr).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(lines.indexOf('entries app started'));
    expect(lines.filter((l) => l.includes('cannot write'))).toHaveLength(1);
    // json was the only reporter: the findings go to the console instead of nowhere
    expect(r.stderr).toMatch(/blocked (for )?[\d.]+ m?s/);
  });

  it('the start-up check of the report directory leaves no file but the report', async () => {
    const dir = join(tempDir(), 'made-by-the-agent');
    const r = await runNode(fixture('entries-start-warning.cjs'), { env: { ASYNC_DEBUG_REPORT_DIR: dir } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('entries app started\n');
    const pids = new Set(readReports(dir).map((l) => l.pid));
    expect(pids.size).toBe(1);
    expect(readdirSync(dir)).toEqual([`asyncdebug-${[...pids][0]}.jsonl`]);
  });

  it('asyncdebug --help names every variable of the table, as the README does', async () => {
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin', 'asyncdebug.js'), '--help']);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const row of ENV_TABLE) {
      expect(stdout).toContain(row.name.split(' / ')[0]);
      expect(readme).toContain(`\`${row.name.split(' / ')[0]}\``);
    }
    expect(stdout.replace(/\s+/g, ' ')).toContain('a sync API called after start-up throws SyncIOError instead of running');
  });
});

describe('docs ship with the package', () => {
  it('the report format is documented in docs/, shipped, and the README links nothing outside the repo', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).not.toMatch(/\.\.\/shared\//);
    const doc = readFileSync(join(ROOT, 'docs', 'report-format.md'), 'utf8');
    const kinds = /export type FindingKind =([^;]+);/.exec(readFileSync(join(ROOT, 'src', 'finding.ts'), 'utf8'))![1]!.match(/'[^']+'/g)!;
    // each kind has its section, or its row among the kinds not written yet
    for (const kind of kinds.map((k) => k.slice(1, -1))) expect(doc.includes(`### \`${kind}\``) || doc.includes(`| \`${kind}\` |`), kind).toBe(true);
    // every field the finding types declare (src/finding.ts) is documented
    const fields = [...readFileSync(join(ROOT, 'src', 'finding.ts'), 'utf8').matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1]!);
    expect(fields.length).toBeGreaterThan(15);
    for (const field of new Set(fields)) expect(doc, field).toContain(`\`${field}\``);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { stdout } = await run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toContain('docs/report-format.md');
    expect(files).toEqual(expect.arrayContaining(['dist/api.cjs', 'dist/api.d.cts', 'dist/agent/thread-agent.cjs', 'dist/register.cjs']));
    for (const link of readme.matchAll(/\]\(([^)#]+)\)/g)) {
      if (!/^https?:/.test(link[1]!)) expect(existsSync(join(ROOT, link[1]!)), link[1]).toBe(true);
    }
  });
});

describe('the agent keeps nothing alive and stays out of sight', () => {
  it('an app that subscribed exits by itself after a block', async () => {
    const file = fixture('entries-subscribe.mjs');
    const r = await runNode(file, { timeoutMs: 15_000 });
    expect(r.signal).toBe(null);
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toContainEqual({ kind: 'block', line: markerLine(file) });
  });

  it('with ASYNC_DEBUG=0, subscribe() does not throw: it returns an unsubscribe function', async () => {
    const r = await runNode(fixture('entries-subscribe.mjs'), { env: { ASYNC_DEBUG: '0' }, timeoutMs: 15_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('function\n');
  });

  it('a CommonJS main sees no handle of the agent on its first line', async () => {
    for (const nodeArgs of [['--import', 'asyncdebug'], ['--require', 'asyncdebug']]) {
      const r = await runNode(fixture('entries-first-line.cjs'), { nodeArgs });
      expect(r.code).toBe(0);
      expect(merged(r.stdout).resources, nodeArgs.join(' ')).toEqual([]);
    }
  });

  it('documented limit: the watchdog worker takes threadId 1, so the app\'s first worker is 2', async () => {
    const on = await runNode(fixture('entries-first-line.cjs'));
    expect(merged(on.stdout).workerThreadId).toBe(2);
    const off = await runNode(fixture('entries-first-line.cjs'), { env: { ASYNC_DEBUG: '0' } });
    expect(merged(off.stdout).workerThreadId).toBe(1);
  });
});
