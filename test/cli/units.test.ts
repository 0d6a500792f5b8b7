// The CLI's pure pieces: budgets, the gate, the baseline file, escaping for GitHub and XML, NODE_OPTIONS.
import { describe, expect, it } from 'vitest';
import { agentEnv, importsAsyncdebug, quoteNodeOption, REGISTER_URL } from '../../src/cli/inject.js';
import { evaluate, parseBudgets } from '../../src/cli/gate.js';
import { baselineEntries, formatBaseline, type Baseline } from '../../src/cli/baseline.js';
import { escapeData, escapeProperty } from '../../src/cli/github.js';
import { toJunit } from '../../src/cli/junit.js';
import { groupSites, runFacts } from '../../src/cli/sites.js';
import type { ReportLine } from '../../src/cli/report-files.js';
import { UsageError } from '../../src/cli/usage.js';

/** A baseline of format 2 with these site keys. */
function baselineOf(keys: string[]): Baseline {
  return { sites: new Set(keys), anyCaller: new Set(), format: 2 };
}

function block(id: string, file: string | null, fn: string, durationMs: number, extra: Partial<ReportLine> = {}): ReportLine {
  const site = file ? { file, line: 10, column: 3, function: fn } : null;
  return { v: 1, id, kind: 'block', time: 1, pid: 7, threadId: 0, message: `blocked ${durationMs} ms`, site, frames: site ? [site] : [], durationMs, ongoing: false, ...extra } as ReportLine;
}

describe('budgets and the gate', () => {
  it('parses kind=N lists and rejects unknown kinds and bad numbers', () => {
    expect([...parseBudgets(['block=0,sync-io=10', '*=3'])]).toEqual([['block', 0], ['sync-io', 10], ['*', 3]]);
    expect(() => parseBudgets(['block=x'])).toThrow(UsageError);
    expect(() => parseBudgets(['blok=1'])).toThrow(/unknown kind "blok"/);
  });

  it('counts sites, not findings; blocks have budget 0 by default, other kinds none; with a baseline all kinds 0', () => {
    const root = '/p';
    const sites = groupSites(
      [
        block('b1', '/p/src/a.js', 'hash', 300),
        block('b2', '/p/src/a.js', 'hash', 200, { site: { file: '/p/src/a.js', line: 99, column: 1, function: 'hash' } }),
        block('b3', null, '', 500, { frames: [{ file: '/p/node_modules/x/index.js', line: 1, column: 1, function: 'run' }] }),
        { ...block('s1', '/p/src/b.js', 'load', 2), kind: 'sync-io', api: 'fs.readFileSync', count: 4, maxMs: 1 } as ReportLine,
      ],
      root,
    );
    expect(sites.map((s) => [s.key, s.findings, s.count])).toEqual([
      ['block src/a.js hash', 2, 2],
      ['block (no app frame)', 1, 1],
      ['sync-io src/b.js load', 1, 4],
    ]);
    const plain = evaluate(sites, { budgets: new Map(), minMs: 0, baseline: null });
    expect(plain.failed).toBe(true);
    expect(plain.kinds).toEqual([
      { kind: 'block', counted: 1, budget: 0, over: true },
      { kind: 'sync-io', counted: 1, budget: Infinity, over: false },
    ]);
    expect(plain.status.get('block (no app frame)')).toBe('external');
    const accepted = evaluate(sites, { budgets: new Map(), minMs: 0, baseline: baselineOf(['block src/a.js hash']) });
    expect(accepted.status.get('block src/a.js hash')).toBe('baseline');
    // With a baseline, a new sync-io site is new: budget 0.
    expect(accepted.kinds).toEqual([{ kind: 'sync-io', counted: 1, budget: 0, over: true }]);
    const slowOnly = evaluate(sites, { budgets: new Map(), minMs: 1000, baseline: null });
    expect(slowOnly.failed).toBe(false);
  });

  it("a site's APIs: every one of its findings', the worst one's first (the line the table shows)", () => {
    const sync = (id: string, api: string, line: number, maxMs: number) =>
      ({ ...block(id, '/p/src/server.js', 'handle', maxMs), kind: 'sync-io', api, count: 1, maxMs, site: { file: '/p/src/server.js', line, column: 5, function: 'handle' } }) as ReportLine;
    const [s] = groupSites([sync('s1', 'fs.readFileSync', 15, 0.2), sync('s2', 'crypto.pbkdf2Sync', 14, 76), sync('s3', 'fs.statSync', 16, 0.1)], '/p');
    expect(s!.line).toBe(14);
    expect(s!.apis).toEqual(['crypto.pbkdf2Sync', 'fs.readFileSync', 'fs.statSync']);
  });

  it('by default a block site counts when one block spent twice the threshold at it: its share of the thread\'s own time', () => {
    const sites = groupSites(
      [
        // 250 ms on a CPU, all of it at the site: counts.
        block('b1', '/p/src/hot.js', 'render', 260, { thresholdMs: 100, cpuMs: 250, sleepMs: 0, starvedMs: 10, profile: [{ site: { file: '/p/src/hot.js', line: 10, column: 3, function: 'render' }, samples: 9, share: 1 }] }),
        // 500 ms of wall, but 400 of it waiting for a CPU: 100 ms of the thread's own time.
        block('b2', '/p/src/busy.js', 'setup', 500, { thresholdMs: 100, cpuMs: 100, sleepMs: 0, starvedMs: 400 }),
        // 300 ms on a CPU spread over many sites: the named one held it for 20% of that.
        block('b3', '/p/src/cold.js', 'compile', 300, { thresholdMs: 100, cpuMs: 300, sleepMs: 0, starvedMs: 0, profile: [{ site: { file: '/p/src/cold.js', line: 10, column: 3, function: 'compile' }, samples: 4, share: 0.2 }] }),
        // A report without the split (an older agent, or no schedstat): the wall clock.
        block('b4', '/p/src/old.js', 'spin', 220),
      ],
      '/p',
    );
    const gate = evaluate(sites, { budgets: new Map(), minMs: null, baseline: null });
    expect(gate.status.get('block src/hot.js render')).toBe('over-budget');
    expect(gate.status.get('block src/busy.js setup')).toBe('below-min');
    expect(gate.status.get('block src/cold.js compile')).toBe('below-min');
    expect(gate.status.get('block src/old.js spin')).toBe('over-budget');
    expect(gate.kinds).toEqual([{ kind: 'block', counted: 2, budget: 0, over: true }]);
    // --min-ms sets the floor instead (the same measure: the site's own time).
    const strict = evaluate(sites, { budgets: new Map(), minMs: 100, baseline: null });
    expect(strict.status.get('block src/busy.js setup')).toBe('over-budget');
    expect(strict.status.get('block src/cold.js compile')).toBe('below-min');
    // Asleep while waiting for a CPU most of the block: the machine's, not counted; on a CPU still is.
    const loaded = evaluate(
      groupSites(
        [
          block('b6', '/p/src/listen.js', 'listen', 2107, { thresholdMs: 100, cpuMs: 15, sleepMs: 223, starvedMs: 1869 }),
          block('b7', '/p/src/spin.js', 'spin', 1270, { thresholdMs: 100, cpuMs: 246, sleepMs: 0, starvedMs: 1024 }),
          block('b8', '/p/src/read.js', 'read', 400, { thresholdMs: 100, cpuMs: 20, sleepMs: 230, starvedMs: 150 }),
          block('b9', '/p/src/sync.js', 'load', 700, { thresholdMs: 100, cpuMs: 10, sleepMs: 250, starvedMs: 440, origin: { type: 'sync-api', api: 'fs.readFileSync', frames: [] } }),
        ],
        '/p',
      ),
      { budgets: new Map(), minMs: null, baseline: null },
    );
    expect(loaded.status.get('block src/listen.js listen')).toBe('below-min');
    expect(loaded.status.get('block src/spin.js spin')).toBe('over-budget');
    expect(loaded.status.get('block src/read.js read')).toBe('over-budget');
    // ...unless it slept in a sync API: that sleep is the call's.
    expect(loaded.status.get('block src/sync.js load')).toBe('over-budget');
    // A threshold of 50 ms makes the default floor 100 ms.
    const low = evaluate(groupSites([block('b5', '/p/src/a.js', 'f', 150, { thresholdMs: 50, cpuMs: 120, sleepMs: 0, starvedMs: 30 })], '/p'), { budgets: new Map(), minMs: null, baseline: null });
    expect(low.failed).toBe(true);
  });

  it('a site in a test file is the test\'s own work: shown, counted only with --budget test-code=N', () => {
    const sites = groupSites(
      [
        block('b1', '/p/test/shape.test.js', '<anonymous>', 900, { thresholdMs: 100, cpuMs: 850, sleepMs: 0, starvedMs: 50 }),
        block('b2', '/p/__tests__/util.js', 'deepCompare', 400),
        block('b3', '/p/lib/spec-parser.js', 'parse', 400),
      ],
      '/p',
    );
    expect(sites.filter((s) => s.testCode).map((s) => s.file)).toEqual(['test/shape.test.js', '__tests__/util.js']);
    const gate = evaluate(sites, { budgets: new Map(), minMs: null, baseline: null });
    expect(gate.status.get('block test/shape.test.js <anonymous>')).toBe('test-code');
    expect(gate.status.get('block __tests__/util.js deepCompare')).toBe('test-code');
    expect(gate.kinds).toEqual([{ kind: 'block', counted: 1, budget: 0, over: true }]);
    const counted = evaluate(sites, { budgets: parseBudgets(['test-code=0']), minMs: null, baseline: null });
    expect(counted.kinds).toContainEqual({ kind: 'test-code', counted: 2, budget: 0, over: true });
  });

  it('module loading after start-up is a kind of its own: shown, counted only when --budget names it', () => {
    expect([...parseBudgets(['module-load=2'])]).toEqual([['module-load', 2]]);
    const sites = groupSites(
      [
        block('b1', '/p/src/a.js', '<anonymous>', 180, { phase: 'module-load', thresholdMs: 100 }),
        block('b2', '/p/src/a.js', '<anonymous>', 150, { thresholdMs: 100 }),
      ],
      '/p',
    );
    expect(sites.map((s) => s.key)).toEqual(['block src/a.js <anonymous>', 'module-load src/a.js <anonymous>']);
    const byDefault = evaluate(sites, { budgets: new Map(), minMs: 0, baseline: null });
    expect(byDefault.status.get('module-load src/a.js <anonymous>')).toBe('not-counted');
    expect(byDefault.kinds).toEqual([{ kind: 'block', counted: 1, budget: 0, over: true }]);
    // Neither `*` nor a baseline counts it: only a budget that names it.
    const star = evaluate(sites, { budgets: parseBudgets(['*=0']), minMs: 0, baseline: baselineOf([]) });
    expect(star.status.get('module-load src/a.js <anonymous>')).toBe('not-counted');
    // A loader's own sync I/O (phase module-load, at the loader's frame) is module loading too.
    const loader = groupSites([{ ...block('s1', '/p/node_modules/vite-node/dist/client.mjs', 'directRequest', 2), kind: 'sync-io', api: 'fs.readFileSync', count: 40, phase: 'module-load' } as ReportLine], '/p');
    expect(loader.map((s) => s.key)).toEqual(['module-load node_modules/vite-node/dist/client.mjs directRequest']);
    expect(evaluate(loader, { budgets: new Map(), minMs: 0, baseline: baselineOf([]) }).failed).toBe(false);
    const named = evaluate(sites, { budgets: parseBudgets(['module-load=0,block=1']), minMs: 0, baseline: null });
    expect(named.kinds).toEqual([
      { kind: 'block', counted: 1, budget: 1, over: false },
      { kind: 'module-load', counted: 1, budget: 0, over: true },
    ]);
  });

  it('a block line under its threshold is no site: a block withdrawn, or its thread\'s own time under it', () => {
    const lines = [
      block('b1', '/p/src/a.js', 'hash', 28, { thresholdMs: 100 }),
      block('b2', '/p/src/b.js', 'load', 150, { thresholdMs: 100, cpuMs: 40, sleepMs: 10, starvedMs: 100 }),
      block('b3', '/p/src/c.js', 'parse', 150, { thresholdMs: 100, cpuMs: 120, sleepMs: 0, starvedMs: 30 }),
      block('b4', '/p/src/d.js', 'old', 120), // a report from before lines said their threshold
    ];
    const sites = groupSites(lines, '/p');
    expect(sites.map((s) => s.key)).toEqual(['block src/c.js parse', 'block src/d.js old']);
    expect(runFacts(lines).withdrawn).toBe(2);
  });

  it('a block with no application frame shows its reason and is not counted', () => {
    const sites = groupSites([block('b1', null, '', 180, { reason: 'outside JavaScript in a timer callback', frames: [{ file: 'node:internal/timers', line: 1, column: 1, function: 'listOnTimeout' }] })], '/p');
    expect(sites[0]).toMatchObject({ key: 'block (no app frame)', reason: 'outside JavaScript in a timer callback' });
    expect(evaluate(sites, { budgets: new Map(), minMs: 0, baseline: null }).failed).toBe(false);
  });
});

describe('the baseline file', () => {
  it('one sorted site per line, no lines or durations (they change on every run)', () => {
    const sites = groupSites([block('b2', '/p/z.js', 'zed', 150), block('b1', '/p/a.js', 'alpha', 300), block('b3', null, '', 500)], '/p');
    const text = formatBaseline(baselineEntries(sites));
    expect(JSON.parse(text).sites).toEqual([
      { kind: 'block', file: 'a.js', function: 'alpha' },
      { kind: 'block', file: 'z.js', function: 'zed' },
    ]);
    expect(text).toContain('\n    {"kind":"block","file":"a.js","function":"alpha"},\n    {"kind":"block","file":"z.js","function":"zed"}\n');
  });
});

describe('escaping', () => {
  it('GitHub workflow commands', () => {
    expect(escapeData('50% done\nnext')).toBe('50%25 done%0Anext');
    expect(escapeProperty('a:b,c')).toBe('a%3Ab%2Cc');
  });

  it('JUnit XML attributes and text (more in ci-outputs.test.ts)', () => {
    const sites = groupSites([block('b1', '/p/<a>&"b".js', 'f', 300)], '/p');
    const gate = evaluate(sites, { budgets: new Map(), minMs: 0, baseline: null });
    const xml = toJunit(sites, gate, { code: 0, signal: null, startError: null }, 1234);
    expect(xml).toContain('name="&lt;a&gt;&amp;&quot;b&quot;.js f"');
    expect(xml).toContain('failures="1"');
  });
});

describe('NODE_OPTIONS', () => {
  it("appends the agent's --import after the user's options, once", () => {
    const env = agentEnv({ NODE_OPTIONS: '--require "/a b/pre.cjs" --max-old-space-size=100' }, { reportDir: '/r', reporters: ['json'] });
    expect(env.NODE_OPTIONS).toBe(`--require "/a b/pre.cjs" --max-old-space-size=100 --import=${REGISTER_URL}`);
    expect(env.ASYNC_DEBUG_REPORT_DIR).toBe('/r');
    expect(env.ASYNC_DEBUG_REPORTERS).toBe('json');
    expect(agentEnv({ NODE_OPTIONS: env.NODE_OPTIONS }, { reportDir: '/r', reporters: ['json'] }).NODE_OPTIONS).toBe(env.NODE_OPTIONS);
    expect(importsAsyncdebug('--import asyncdebug')).toBe(true);
    expect(importsAsyncdebug('--import=asyncdebug-other')).toBe(false);
    // The user's own reporter choice is kept, json added.
    expect(agentEnv({ ASYNC_DEBUG_REPORTERS: 'console' }, { reportDir: '/r', reporters: ['json'] }).ASYNC_DEBUG_REPORTERS).toBe('console,json');
  });

  it('quotes a value the way NODE_OPTIONS parses it', () => {
    expect(quoteNodeOption('file:///a%20b/x.js')).toBe('file:///a%20b/x.js');
    expect(quoteNodeOption('/a b/"x".js')).toBe('"/a b/\\"x\\".js"');
  });
});
