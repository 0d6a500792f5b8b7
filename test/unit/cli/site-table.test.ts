import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { summaryTable } from '../../../src/cli/site-table.js';
import { fromPackage } from '../../../src/wording.js';
import { siteKey, type Site } from '../../../src/cli/sites.js';

const c = new Chalk({ level: 0 });
const LOADER = 'node_modules/.pnpm/vitest@4.1.11_@types+node@26.2.0_5ddd9be5eb7208c127f7271e2e76ef9c/node_modules/vitest/dist/chunks/runner.js';

function site(caller: string, over: Partial<Site> = {}): Site {
  const base = { kind: 'module-load', file: LOADER, function: 'fetchModule', caller: { file: caller, function: '<anonymous>' } };
  return {
    ...base,
    key: siteKey(base.kind, base.file, base.function, false, base.caller),
    absFile: `/repo/${LOADER}`,
    line: 713,
    column: 5,
    findings: 1,
    count: 2,
    worstMs: 0.5,
    ownMs: 0.5,
    thresholdMs: 100,
    testCode: false,
    totalMs: 1,
    message: 'm',
    threads: [`pid ${caller.length} main`],
    apis: [],
    ongoing: false,
    noStack: false,
    reason: null,
    generated: false,
    ...over,
  };
}

const facts = { processes: 5, threads: 5, withdrawn: 0 } as Parameters<typeof summaryTable>[1];

describe('the summary table', () => {
  it("names a dependency's file from its package on, not the package manager's store path", () => {
    expect(fromPackage(LOADER)).toBe('vitest/dist/chunks/runner.js');
    expect(fromPackage('src/app.ts')).toBe('src/app.ts');
  });

  it('one row for a line reached from more than three callers with the same status, with their sums', () => {
    const sites = ['test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts', 'test/dd.test.ts', 'test/eee.test.ts'].map((f) => site(f));
    const rows = summaryTable(sites, facts, c).split('\n').filter((l) => l.includes('module-load  '));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/vitest\/dist\/chunks\/runner\.js:713 fetchModule ← 5 callers\s+10\s+0\.50 ms\s+5\.0 ms\s+3 threads in 3 processes/);
  });

  it('three callers keep their rows, and so do callers whose status differs', () => {
    const three = ['test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts'].map((f) => site(f));
    expect(summaryTable(three, facts, c).split('\n').filter((l) => l.includes('module-load  '))).toHaveLength(3);
    const five = ['test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts', 'test/dd.test.ts', 'test/eee.test.ts'].map((f) => site(f));
    const marks = new Map(five.map((s, i) => [s.key, i === 0 ? 'FAIL' : 'not counted']));
    const rows = summaryTable(five, facts, c, marks).split('\n').filter((l) => l.includes('module-load  '));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.includes('FAIL'))).toContain('← test/a.test.ts <anonymous>');
    expect(rows.find((r) => r.includes('not counted'))).toContain('← 4 callers');
  });
});

describe('a transformed line', () => {
  it('is said as such, not shown as a line of the source', () => {
    const s = site('test/a.test.ts', { kind: 'block', file: 'test/unit/encoding.test.ts', line: 94, caller: null, generated: true });
    const table = summaryTable([s], facts, c);
    expect(table).toContain('test/unit/encoding.test.ts (transformed line 94) fetchModule');
    expect(table).toContain('the process ended before its source map was read');
  });
});

describe('a site with sync calls', () => {
  it('names its APIs, the one of the line shown first: two calls in one function share a row', () => {
    const s = site('src/server.mjs', { kind: 'sync-io', file: 'src/server.mjs', function: 'handle', caller: null, line: 14, apis: ['crypto.pbkdf2Sync', 'fs.readFileSync'] });
    expect(summaryTable([s], facts, c)).toMatch(/sync-io\s+src\/server\.mjs:14 handle \[crypto\.pbkdf2Sync, fs\.readFileSync\]\s+2/);
  });

  it('counts the APIs past three', () => {
    const s = site('src/a.mjs', { kind: 'sync-io', file: 'src/a.mjs', function: 'f', caller: null, apis: ['fs.a', 'fs.b', 'fs.c', 'fs.d', 'fs.e'] });
    expect(summaryTable([s], facts, c)).toContain('src/a.mjs:713 f [fs.a, fs.b, fs.c, +2 more]');
  });
});

describe('a row folded from many callers', () => {
  it("names every caller's APIs, the worst site's first", () => {
    const apis = [['fs.existsSync'], ['fs.readFileSync'], ['fs.existsSync'], ['fs.statSync'], ['fs.existsSync']];
    const sites = ['test/a.test.ts', 'test/b.test.ts', 'test/c.test.ts', 'test/dd.test.ts', 'test/eee.test.ts'].map((f, i) =>
      site(f, { kind: 'sync-io', function: 'load', apis: apis[i]!, worstMs: i === 3 ? 9 : 0.5 }),
    );
    const rows = summaryTable(sites, facts, c).split('\n').filter((l) => l.includes('sync-io  '));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('runner.js:713 load [fs.statSync, fs.existsSync, fs.readFileSync] ← 5 callers');
  });
});
