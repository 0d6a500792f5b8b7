// The one table of finding kinds: every kind the contract names has a row, and every consumer (the exit
// summary, the plain console, ci's gate and rules, the TUI, the OTel sink) reads its field from the row:
// a row changed here changes what each of them writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Attributes, Context, Logger, Meter, Tracer } from '@opentelemetry/api';
import { foregroundColorNames } from 'chalk';
import { describe, expect, it } from 'vitest';
import { evaluate, parseBudgets } from '../../src/cli/gate.js';
import { toSarif } from '../../src/cli/sarif.js';
import type { Site } from '../../src/cli/sites.js';
import type { Finding, FindingKind, SummaryFinding } from '../../src/finding.js';
import { ALL_KINDS, isReportedKind, KINDS, kindRow, kindTitle, REPORTED_KINDS, type KindRow } from '../../src/kinds.js';
import { createSink } from '../../src/otel/sink.js';
import { createPlainConsoleReporter } from '../../src/reporters/console-plain.js';
import { summaryLine } from '../../src/reporters/console-format.js';
import { buildScreen, initialUi, lineText } from '../../src/tui/screen.js';
import { applyEvent, initialData, nextFilter } from '../../src/tui/state.js';
import { ROOT } from '../helpers.js';
import { finding, hello, msg } from '../tui/tui-helpers.js';

/** Runs `fn` with one row changed, then puts it back. */
function withRow(kind: FindingKind, patch: Partial<KindRow>, fn: () => void): void {
  const row = KINDS[kind] as KindRow;
  const saved = { ...row };
  Object.assign(row, patch);
  try {
    fn();
  } finally {
    Object.assign(row, saved);
  }
}

function summary(counts: SummaryFinding['counts']): SummaryFinding {
  return { v: 1, id: 'summary-0', kind: 'summary', time: 0, pid: 1, threadId: 0, message: '', site: null, frames: [], loopDelay: { p50: 1, p99: 2, max: 3 }, elu: 0.5, counts, startupBlockMs: 0, mode: 'default', unnamedBlocks: 0, unnamedBlockMs: 0, exitIdleMs: 0, starvedMs: 0, starvedGaps: 0 };
}

function site(kind: string, worstMs: number): Site {
  return { key: `${kind} a.js f`, kind, file: 'a.js', function: 'f', caller: null, absFile: '/p/a.js', line: 1, column: 1, findings: 1, count: 1, worstMs, ownMs: worstMs, thresholdMs: 100, testCode: false, totalMs: worstMs, message: 'm', threads: ['pid 1 main'], apis: [], ongoing: false, noStack: false, reason: null, generated: false };
}

describe('the kinds table', () => {
  it('has a row for exactly the kinds the contract (docs/report-format.md) says this version writes', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'report-format.md'), 'utf8');
    const paragraph = doc.slice(doc.indexOf('Kinds this version writes:'), doc.indexOf('A reader should accept kinds'));
    const documented = [...paragraph.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]!);
    expect([...documented].sort()).toEqual([...ALL_KINDS].sort());
  });

  it('lists the summary last and apart: budgets, --kind and the TUI filter name the others, in the table order', () => {
    expect(ALL_KINDS.at(-1)).toBe('summary');
    expect(REPORTED_KINDS).toEqual(ALL_KINDS.slice(0, -1));
    expect(REPORTED_KINDS.every(isReportedKind)).toBe(true);
    expect(['summary', 'bogus', 'toString', 'constructor'].some(isReportedKind)).toBe(false);
    expect(kindRow('toString')).toBeUndefined();
    expect(kindTitle('from-a-later-version')).toBe('from-a-later-version');
  });

  it.each(ALL_KINDS)('%s: a usable row (a TUI colour, a name that fits the list column, words and a title)', (kind) => {
    const row = KINDS[kind];
    expect(foregroundColorNames).toContain(row.color);
    expect(row.short.length).toBeLessThanOrEqual(13);
    expect(row.title).not.toBe('');
    expect(row.words.every((w) => w.length > 0)).toBe(true);
  });
});

describe('every consumer reads the row', () => {
  it("the exit summary's words", () => {
    expect(summaryLine(summary({ block: 2, 'sync-io': 1, 'threadpool-saturation': 3, unawaited: 1 }), 0)).toContain(': 2 blocks, 1 sync I/O call, 3 thread-pool saturations, 1 unawaited; loop delay');
    withRow('large-message', { words: ['big one', 'big ones'] }, () => {
      expect(summaryLine(summary({ 'large-message': 2 }), 0)).toContain(': 2 big ones;');
    });
  });

  it("the plain console: one line per site for the kinds counted by site, one per finding for the others", () => {
    const lines = (f: Finding) => {
      const out: string[] = [];
      createPlainConsoleReporter({ write: (t) => out.push(t), level: 0, cwd: '/srv/app' }).report(f);
      return out.join('');
    };
    const f = finding('atomics-wait', { id: 'w', api: 'Atomics.wait', durationMs: 3 });
    expect(lines(f)).toContain('later calls here are counted');
    withRow('atomics-wait', { bySite: false }, () => expect(lines(f)).toBe('asyncdebug atomics-wait here At server.js:20:3. · main thread\n'));
  });

  it("the plain console: a module loader's own sync calls are no live line, only the thread's exit line, which says whose they are", () => {
    const out: string[] = [];
    const console = createPlainConsoleReporter({ write: (t) => out.push(t), level: 0, cwd: '/srv/app' });
    const loader = { ...finding('sync-io', { id: 'l', api: 'fs.readFileSync', durationMs: 0.08, count: 54 }), phase: 'module-load' } as Finding;
    console.report(loader);
    expect(out).toEqual([]);
    // Only the loader's calls: its line, and no "exiting: 54 sync I/O calls".
    console.report({ ...summary({ 'sync-io': 54 }), pid: process.pid });
    expect(out.join('')).toBe('asyncdebug fs.readFileSync 54×, 0.08 ms in all, at server.js:20:3 (a module loader loading modules) · main thread\n');
    // With a call of the app's too: the exit line counts the app's.
    out.length = 0;
    console.report(loader);
    console.report(finding('sync-io', { id: 'a', api: 'fs.statSync', durationMs: 0.01 }));
    console.report({ ...summary({ 'sync-io': 55 }), pid: process.pid });
    expect(out.join('')).toContain(': 1 sync I/O call; loop delay');
  });

  it('ci: which kinds --budget takes, and which are timed (--min-ms)', () => {
    expect(() => parseBudgets(['summary=1'])).toThrow(`kinds: ${REPORTED_KINDS.join(', ')}, module-load, test-code, or * for all`);
    const options = { budgets: parseBudgets([]), minMs: 10, baseline: null };
    const status = () => Object.fromEntries(evaluate([site('unawaited', 0), site('sync-io', 5)], options).status);
    expect(status()).toEqual({ 'unawaited a.js f': 'within-budget', 'sync-io a.js f': 'below-min' });
    withRow('unawaited', { timed: true }, () => expect(status()).toEqual({ 'unawaited a.js f': 'below-min', 'sync-io a.js f': 'below-min' }));
  });

  it("SARIF rules, JUnit and annotations: the kind's title", () => {
    const rule = () => toSarif({ root: '/p', sites: [site('never-settled', 0)], gate: evaluate([site('never-settled', 0)], { budgets: new Map(), minMs: 0, baseline: null }), command: ['x'], result: { code: 0, signal: null } as never }).runs[0]!.tool.driver.rules![0]!;
    expect(rule()).toMatchObject({ id: 'never-settled', shortDescription: { text: 'Awaited promise never settled' } });
    withRow('never-settled', { title: 'Still waiting' }, () => expect(rule()).toMatchObject({ shortDescription: { text: 'Still waiting' } }));
  });

  it("the TUI: the list's short name and colour, and the kinds `f` steps through", () => {
    const data = initialData();
    applyEvent(data, msg(hello()));
    applyEvent(data, msg({ t: 'finding', f: finding('threadpool-saturation', { id: 'p', queued: 3 }) }));
    const row = () => buildScreen(data, initialUi(), { columns: 100, rows: 30, now: Date.now(), title: 't', command: null, logFile: null }).find((l) => /^> \d\d:\d\d:\d\d /.test(lineText(l)))!;
    expect(row()[2]).toMatchObject({ text: 'threadpool    ', color: 'blue' });
    withRow('threadpool-saturation', { short: 'pool', color: 'green' }, () => expect(row()[2]).toMatchObject({ text: 'pool          ', color: 'green' }));
    const steps = [nextFilter('all')];
    while (steps.at(-1) !== 'all') steps.push(nextFilter(steps.at(-1)!));
    expect(steps).toEqual([...REPORTED_KINDS, 'all']);
  });

  it('the OTel sink: the log severity, and the signal each kind gets', () => {
    const records: string[] = [];
    const instrument = (name: string) => ({ add: (v: number) => records.push(`${name} ${v}`), record: (v: number) => records.push(`${name} ${v}`), addCallback() {}, removeCallback() {} });
    const meter = { createCounter: instrument, createHistogram: instrument, createObservableGauge: instrument, createObservableCounter: instrument, addBatchObservableCallback() {}, removeBatchObservableCallback() {} } as unknown as Meter;
    const tracer = { startSpan: () => ({ end: () => records.push('span') }) } as unknown as Tracer;
    const logger = { emit: (r: { severityText: string; severityNumber: number; attributes: Attributes }) => records.push(`log ${r.attributes['asyncdebug.finding.kind']} ${r.severityText} ${r.severityNumber}`) } as unknown as Logger;
    const sink = createSink({ meter, tracer, logger, root: {} as Context }, { threads: () => [] });
    const report = (f: Finding) => {
      records.length = 0;
      sink.report(f);
      return records.filter((r) => !r.startsWith('asyncdebug.findings '));
    };
    expect(report(finding('unhandled-rejection', { id: 'r' }))).toEqual(['log unhandled-rejection ERROR 17']);
    expect(report(finding('unawaited', { id: 'u' }))).toEqual(['asyncdebug.promises.unawaited 1', 'log unawaited WARN 13']);
    expect(report(finding('threadpool-saturation', { id: 't', durationMs: 500 }))).toEqual(['asyncdebug.threadpool.wait 0.5', 'log threadpool-saturation WARN 13']);
    expect(report(finding('block', { id: 'b', durationMs: 250, ongoing: false }))).toEqual(['asyncdebug.loop.blocks 1', 'asyncdebug.loop.block.duration 0.25', 'span', 'log block WARN 13']);
    expect(report(finding('sync-io', { id: 's', api: 'fs.statSync', count: 3 }))).toEqual(['log sync-io WARN 13', 'asyncdebug.sync_io.site.calls 3']);
    expect(report(summary({}))).toEqual(['log summary INFO 9']);
    withRow('large-message', { severity: 'ERROR', otel: 'pool-wait' }, () => {
      expect(report(finding('large-message', { id: 'm', durationMs: 100 }))).toEqual(['asyncdebug.threadpool.wait 0.1', 'log large-message ERROR 17']);
    });
  });
});
