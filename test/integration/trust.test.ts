// Findings a CI gate can trust: no block that did not happen, every block named, by what took the time.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blocks, fixture, latest, markerLine, readReports, ROOT, runNode, tempDir } from '../helpers.js';

const summaryOf = (lines: Awaited<ReturnType<typeof runNode>>['lines'], threadId = 0) =>
  lines.find((l) => l.kind === 'summary' && l.threadId === threadId)!;

describe('no false blocks', () => {
  it('a fetch CLI that ends: the idle stretch at exit is no block (Node 20 drains V8 tasks there)', async () => {
    const file = fixture('fetch-exit.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('hello\n');
    // The first fetch() loads and compiles undici: on a loaded machine that alone can take 100+ ms, a
    // real stall at the fetch line. Nothing else may be reported: not the idle stretch at exit.
    const fetchLine = markerLine(file, 'await fetch(');
    const other = blocks(run.lines).filter((b) => b.site?.line !== fetchLine);
    expect(other, JSON.stringify(other, null, 1)).toEqual([]);
    expect(typeof summaryOf(run.lines).exitIdleMs).toBe('number');
  });

  it('every reported block has a site and frames, or the reason it has no site', async () => {
    const run = await runNode(fixture('listen-after-startup.cjs'));
    for (const b of blocks(run.lines)) {
      if (b.site === null) expect(typeof b.reason).toBe('string');
      else expect(b.frames.length).toBeGreaterThan(0);
    }
  });
});

describe('blocks are named by what held the loop', () => {
  it('a sync API in native code: the block names its call and the API', async () => {
    const file = fixture('sync-block.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    const found = blocks(run.lines);
    expect(found.map((b) => b.site?.line), JSON.stringify(found, null, 1)).toEqual([markerLine(file)]);
    expect(found[0]!.site!.file).toBe(file);
    expect(found[0]!.origin).toMatchObject({ type: 'sync-api', api: 'crypto.pbkdf2Sync' });
    expect(found[0]!.message).toContain('crypto.pbkdf2Sync');
  });

  it('a long block is named by the line that took most of it, with a profile of both', async () => {
    const file = fixture('two-phase.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    const [b, ...rest] = blocks(run.lines);
    expect(rest).toEqual([]);
    expect(b!.site!.line, JSON.stringify(b, null, 1)).toBe(markerLine(file));
    const profile = b!.profile as { site: { line: number }; share: number; samples: number }[];
    expect(profile[0]!.site.line).toBe(markerLine(file));
    expect(profile.map((p) => p.site.line)).toContain(markerLine(file, '@first'));
    expect(profile[0]!.share).toBeGreaterThan(profile.find((p) => p.site.line === markerLine(file, '@first'))!.share);
    expect(b!.samples as number).toBeGreaterThanOrEqual(3);
  });
});

describe('start-up is the entry module, once', () => {
  it('a listen callback right after top-level work is a block, and is not counted as start-up too', async () => {
    const file = fixture('listen-after-startup.cjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    const found = blocks(run.lines);
    expect(found.map((b) => b.site?.line), JSON.stringify(run.lines, null, 1)).toEqual([markerLine(file)]);
    const summary = summaryOf(run.lines);
    expect(summary.startupBlockMs as number).toBeGreaterThanOrEqual(200);
    // start-up ends before the callback's block begins: the callback is not counted in it as well
    expect(summary.startupBlockMs as number).toBeLessThanOrEqual((found[0]!.time as number) - (summary.time as number) + 50);
    expect((summary.counts as Record<string, number>).block).toBe(1);
  });
});

describe('TypeScript transpiled in memory', () => {
  it('under tsx, the block reports the .ts line (the map comes from the app thread)', async () => {
    const file = fixture('tsx/app.ts');
    const run = await runNode(file, { nodeArgs: ['--import', 'asyncdebug', '--import', 'tsx'] });
    expect(run.code, run.stderr).toBe(0);
    const found = latest(run.lines).filter((l) => l.kind === 'block');
    expect(found.map((b) => `${b.site?.file}:${b.site?.line}`), JSON.stringify(found, null, 1)).toEqual([`${file}:${markerLine(file)}`]);
    expect(found[0]!.site).not.toHaveProperty('generated');
  });

  it('the console shows no code frame for a position it could not map', async () => {
    const file = fixture('tsx/app.ts');
    const run = await runNode(file, {
      nodeArgs: ['--import', 'asyncdebug', '--import', 'tsx'],
      env: { ASYNC_DEBUG_REPORTERS: 'console', ASYNC_DEBUG_REPORT_DIR: undefined },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`app.ts:${markerLine(file)}`);
    // the code frame, when shown, is the planted line, never another line of the file
    if (run.stderr.includes(' | ')) expect(run.stderr).toMatch(new RegExp(`> ${markerLine(file)} \\|.*while`));
    expect(run.stderr).not.toContain('interface Order');
  });
});

void ROOT;

describe("the app's patched globals never reach a finding or a file name", () => {
  for (const fake of ['pid', 'process']) {
    it(`Date.now pinned to 2020, a fake pid (${fake === 'pid' ? 'process.pid redefined' : 'the global process replaced'})`, async () => {
      const file = fixture('patched-globals.mjs');
      const started = Date.now();
      // two processes with the same fake pid, one report directory: one file each, by the real pid
      const dir = tempDir();
      const runs = await Promise.all([1, 2].map(() => runNode(file, { env: { FIXTURE_FAKE: fake, ASYNC_DEBUG_REPORT_DIR: dir } })));
      const ended = Date.now();
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort();
      const lines = readReports(dir);
      const pids = [...new Set(lines.map((l) => l.pid))].sort();
      expect(pids).toHaveLength(2);
      expect(pids).not.toContain(123456);
      expect(files).toEqual(pids.map((p) => `asyncdebug-${p}.jsonl`).sort());
      for (const l of lines) expect(l.time, l.message).toBeGreaterThanOrEqual(started - 1000);
      for (const l of lines) expect(l.time, l.message).toBeLessThanOrEqual(ended + 1000);
      const found = blocks(lines);
      expect(found.map((b) => b.site?.line)).toEqual([markerLine(file), markerLine(file)]);
      for (const b of found) {
        expect(b.durationMs as number).toBeGreaterThanOrEqual(250);
        expect(b.durationMs as number).toBeLessThan(ended - started);
        expect(b.message).not.toMatch(/ \d{5,} s\b/);
      }
      expect(latest(lines).filter((l) => l.kind === 'sync-io').map((l) => l.site?.line)).toEqual([markerLine(file, '@read'), markerLine(file, '@read')]);
      for (const s of lines.filter((l) => l.kind === 'summary')) {
        const ran = Number(/ran (-?\d+) ms/.exec(s.message)?.[1]);
        expect(ran, s.message).toBeGreaterThan(0);
        expect(ran, s.message).toBeLessThan(ended - started);
      }
    });
  }
});

describe('plain JavaScript is not labelled transpiled', () => {
  it('an extensionless bin script: no frame is "generated", the console says nothing of transpiled code', async () => {
    const file = fixture('bin/serve');
    const run = await runNode(file, { env: { ASYNC_DEBUG_REPORTERS: 'console,json' } });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.lines.filter((l) => l.kind === 'block');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const b of lines) {
      expect(b.site).toMatchObject({ file, line: markerLine(file) });
      expect(b.frames.filter((fr) => fr.generated)).toEqual([]);
    }
    expect(run.stderr).toContain(`serve:${markerLine(file)}`);
    expect(run.stderr).not.toContain('transpiled');
  });
});

describe('a shared helper is named by its heavy caller', () => {
  it('spin() called by a short and a long phase: the block is spin ← renderReport, with each way\'s share', async () => {
    const file = fixture('call-paths.mjs');
    const run = await runNode(file);
    expect(run.code, run.stderr).toBe(0);
    const found = blocks(run.lines);
    expect(found).toHaveLength(1);
    const b = found[0]!;
    expect(b.site).toMatchObject({ file, line: markerLine(file), function: 'spin' });
    expect(b.caller, JSON.stringify(b, null, 1)).toMatchObject({ file, line: markerLine(file, '@render'), function: 'renderReport' });
    expect(b.message).toMatch(/ at spin \(test\/fixtures\/call-paths\.mjs:\d+:\d+\) ← renderReport \(test\/fixtures\/call-paths\.mjs:\d+:\d+\)\.( |$)/);
    const paths = (b.profile as { paths?: { caller: { line: number }; share: number }[] }[])[0]!.paths!;
    expect(paths.map((p) => p.caller.line)).toEqual([markerLine(file, '@render'), markerLine(file, '@validate')]);
    expect(paths[0]!.share).toBeGreaterThan(paths[1]!.share);
  });
});
