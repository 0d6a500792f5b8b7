// The JSON Lines reporter in this process on a real directory: a new private file per process, never a
// file or symlink someone put in its place; bounded per site (aggregate records) and per process (a cap
// with a dropped record), with the summary always written.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig, reportPath } from '../../../src/config.js';
import type { BlockFinding, Finding } from '../../../src/finding.js';
import { resetProcessFiles } from '../../../src/process-files.js';
import { createJsonlReporter, openProcessReport } from '../../../src/reporters/jsonl.js';

const dirs: string[] = [];
beforeEach(() => resetProcessFiles());
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'asyncdebug-jsonl-'));
  dirs.push(d);
  return d;
}

function config(dir: string, env: Record<string, string> = {}) {
  return readConfig({ ASYNC_DEBUG_REPORT_DIR: dir, ASYNC_DEBUG_REPORTERS: 'json', ...env }, () => {});
}

/** A block as the watchdog writes it: ten frames of a real-looking app (about 1.5 kB a line). */
function block(id: string, durationMs: number, ongoing: boolean): BlockFinding {
  const frames = Array.from({ length: 10 }, (_, i) => ({ file: `/srv/app/node_modules/some-framework/lib/router/layer-${i}.js`, line: 100 + i, column: 12, function: `handle${i}` }));
  const site = { file: '/srv/app/src/routes/report.js', line: 42, column: 7, function: 'buildReport' };
  return {
    v: 1, id, kind: 'block', time: 1_700_000_000_000, pid: process.pid, threadId: 0, site, frames: [site, ...frames], durationMs, ongoing, samples: 1,
    message: `The event loop of the main thread was blocked for ${durationMs} ms at buildReport (src/routes/report.js:42:7).`,
    profile: [{ site, samples: 1, share: 1 }],
  };
}

const summary = (counts: Record<string, number>): Finding => ({
  v: 1, id: 'summary-0', kind: 'summary', time: 0, pid: process.pid, threadId: 0, message: 'Main thread ran.', site: null, frames: [],
  loopDelay: { p50: 0, p99: 0, max: 0 }, elu: 0, counts, startupBlockMs: 0, mode: 'default', unnamedBlocks: 0, unnamedBlockMs: 0, exitIdleMs: 0,
});

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const latest = (ls: Record<string, unknown>[]) => [...new Map(ls.map((l) => [l.id, l])).values()];

describe('the report file', () => {
  it('is made new and private: mode 600 in a directory of mode 700', () => {
    const dir = join(newDir(), 'reports', 'nested');
    const made = openProcessReport(config(dir));
    expect(made.path).toBe(reportPath(dir));
    expect(statSync(made.path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, '..')).mode & 0o777).toBe(0o700);
  });

  it('ASYNC_DEBUG_REPORT_MODE widens it (the directory gets x where r is)', () => {
    const dir = join(newDir(), 'shared');
    const old = process.umask(0o022);
    try {
      const made = openProcessReport(config(dir, { ASYNC_DEBUG_REPORT_MODE: '640' }));
      expect(statSync(made.path).mode & 0o777).toBe(0o640);
      expect(statSync(dir).mode & 0o777).toBe(0o750);
    } finally {
      process.umask(old);
    }
  });

  it('a name already taken (a symlink planted there, an earlier file) is never written: a fresh name, said once', () => {
    const dir = newDir();
    const target = join(dir, 'victim');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, reportPath(dir));
    const warnings: string[] = [];
    const made = openProcessReport(config(dir), (w) => warnings.push(w));
    const r = createJsonlReporter(config(dir));
    r.report(block('block-0-1', 150, false));
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(reportPath(dir)).isSymbolicLink()).toBe(true);
    expect(made.path).toMatch(new RegExp(`asyncdebug-${process.pid}-[a-z0-9]+\\.jsonl$`));
    expect(lines(made.path).map((l) => l.id)).toEqual(['block-0-1']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('already exists');
  });
});

describe('bounded output', () => {
  it('2,000 blocks from one site: at most 256 kB, the first in full, the rest in aggregate records that count all of them', () => {
    const dir = newDir();
    const c = config(dir);
    openProcessReport(c);
    const r = createJsonlReporter(c);
    for (let i = 1; i <= 2000; i++) {
      r.report(block(`block-0-${i}`, 11, true));
      r.report(block(`block-0-${i}`, 12, false));
    }
    r.report(summary({ block: 2000 }));
    const file = reportPath(dir);
    expect(statSync(file).size).toBeLessThanOrEqual(256 * 1024);
    const all = latest(lines(file));
    const full = all.filter((l) => l.kind === 'block');
    const aggregates = all.filter((l) => l.kind === 'aggregate');
    expect(full).toHaveLength(10);
    expect(aggregates).toHaveLength(1);
    expect(aggregates[0]).toMatchObject({ of: 'block', count: 1990, totalMs: 1990 * 12, worstMs: 12, site: { line: 42 } });
    expect(all.at(-1)).toMatchObject({ kind: 'summary', counts: { block: 2000 } });
  });

  it('a process past its cap writes one dropped record and its summary, and nothing else', () => {
    const dir = newDir();
    const c = config(dir, { ASYNC_DEBUG_REPORT_MAX_MB: '1' });
    openProcessReport(c);
    const r = createJsonlReporter(c);
    // Distinct sites: no aggregate helps, the cap holds.
    for (let i = 1; i <= 2000; i++) {
      const f = block(`block-0-${i}`, 150, false);
      f.site = { ...f.site!, line: i };
      r.report(f);
    }
    r.report(summary({ block: 2000 }));
    const file = reportPath(dir);
    expect(statSync(file).size).toBeLessThanOrEqual(1024 * 1024 + 8 * 1024);
    const all = lines(file);
    const dropped = latest(all).find((l) => l.kind === 'dropped');
    const written = all.filter((l) => l.kind === 'block').length;
    expect(dropped).toMatchObject({ capBytes: 1024 * 1024, droppedLines: 2000 - written, dropped: { block: 2000 - written } });
    expect(all.at(-1)).toMatchObject({ kind: 'summary' });
    expect(readdirSync(dir)).toHaveLength(1);
  });
});
