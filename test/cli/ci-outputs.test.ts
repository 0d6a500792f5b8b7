// What `ci` hands to CI systems, on sites made from report lines: sites keyed by call path (a new caller of
// a slow helper is a new site; an aggregate joins its site), the baseline file (format 2 with callers;
// format 1 still read, matching every caller), JUnit against Jenkins xunit's schema with GitLab's reading of
// it, SARIF against the OASIS schema and GitHub's ingestion rules, and the default root.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineEntries, formatBaseline, readBaseline } from '../../src/cli/baseline.js';
import { evaluate } from '../../src/cli/gate.js';
import { toJunit } from '../../src/cli/junit.js';
import type { ReportLine } from '../../src/cli/report-files.js';
import { defaultRoot } from '../../src/cli/root.js';
import { MAX_RESULTS, toSarif } from '../../src/cli/sarif.js';
import { groupSites } from '../../src/cli/sites.js';
import type { Frame } from '../../src/finding.js';
import { tempDir } from '../helpers.js';
import { githubSarifProblems } from './sarif-rules.js';

const require = createRequire(import.meta.url);
const SCHEMAS = join(import.meta.dirname, 'schema');
const OK = { code: 0, signal: null, startError: null };

function frame(file: string, fn: string, line: number): Frame {
  return { file, line, column: 3, function: fn };
}

/** A block at `stack[0]` (innermost first), as the agent writes it. */
function block(id: string, stack: Frame[], durationMs: number, extra: Partial<ReportLine> = {}): ReportLine {
  return { v: 1, id, kind: 'block', time: 1, pid: 7, threadId: 0, message: `blocked ${durationMs} ms`, site: stack[0] ?? null, frames: stack, durationMs, ongoing: false, ...extra } as ReportLine;
}

const SPIN = frame('/p/src/report.js', 'spin', 5);
const RENDER = frame('/p/src/report.js', 'renderReport', 20);
const EXPORT = frame('/p/src/export.js', 'exportCsv', 8);
const TIMER = frame('node:internal/timers', 'listOnTimeout', 1);

function sarifValidator() {
  const Ajv = require('ajv-draft-04') as typeof import('ajv-draft-04').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, 'sarif-schema-2.1.0.json'), 'utf8')));
}

/** Validates against Jenkins xunit's JUnit schema (junit-10.xsd, MIT, vendored unchanged) with libxml2's xmllint (WebAssembly). */
async function xunitErrors(xml: string): Promise<string[]> {
  const { validateXML } = require('xmllint-wasm') as typeof import('xmllint-wasm');
  const r = await validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [{ fileName: 'junit-10.xsd', contents: readFileSync(join(SCHEMAS, 'junit-10.xsd'), 'utf8') }] });
  return r.valid ? [] : r.errors.map((e) => e.message);
}

describe('sites by call path', () => {
  it('a helper reached from a new caller is a new site; the same caller after a line shift is the same', () => {
    const sites = groupSites(
      [
        block('b1', [SPIN, RENDER, TIMER], 300),
        block('b2', [{ ...SPIN, line: 9 }, { ...RENDER, line: 40 }, TIMER], 250),
        block('b3', [SPIN, EXPORT, TIMER], 600),
        block('b4', [frame('/p/src/report.js', 'tick', 2), TIMER], 150),
      ],
      '/p',
    );
    expect(sites.map((s) => [s.key, s.count])).toEqual([
      ['block src/report.js spin ← src/export.js exportCsv', 1],
      ['block src/report.js spin ← renderReport', 2],
      ['block src/report.js tick', 1],
    ]);
    expect(sites[0]!.caller).toEqual({ file: 'src/export.js', function: 'exportCsv' });
  });

  it("an aggregate (past a site's first 10 findings, no caller known) joins the site at its line", () => {
    const aggregate = { v: 1, id: 'aggregate-block-0-1', kind: 'aggregate', of: 'block', time: 1, pid: 7, threadId: 0, message: 'm', site: SPIN, frames: [SPIN], count: 5, totalMs: 1000, worstMs: 250 } as unknown as ReportLine;
    const sites = groupSites([aggregate, block('b1', [SPIN, RENDER], 300)], '/p');
    expect(sites.map((s) => [s.key, s.count])).toEqual([['block src/report.js spin ← renderReport', 6]]);
  });
});

describe('the baseline', () => {
  it('format 2: each site with its caller; a new slow caller of an accepted helper fails the gate', async () => {
    const accepted = groupSites([block('b1', [SPIN, RENDER, TIMER], 300), block('b2', [frame('/p/src/report.js', 'tick', 2), TIMER], 150)], '/p');
    const text = formatBaseline(baselineEntries(accepted));
    expect(JSON.parse(text).asyncdebugBaseline).toBe(2);
    expect(text).toContain('\n    {"kind":"block","file":"src/report.js","function":"spin","caller":{"file":"src/report.js","function":"renderReport"}},\n');
    expect(text).toContain('\n    {"kind":"block","file":"src/report.js","function":"tick"}\n');
    const file = join(tempDir(), 'baseline.json');
    writeFileSync(file, text);
    const baseline = await readBaseline(file, { root: '/p', legacyRoot: '/p' });
    const later = groupSites([block('b1', [SPIN, RENDER, TIMER], 300), block('b3', [SPIN, EXPORT, TIMER], 600)], '/p');
    const gate = evaluate(later, { budgets: new Map(), minMs: 0, baseline });
    expect(Object.fromEntries(gate.status)).toEqual({
      'block src/report.js spin ← renderReport': 'baseline',
      'block src/report.js spin ← src/export.js exportCsv': 'over-budget',
    });
    expect(gate.failed).toBe(true);
  });

  it('format 1 (kind, file, function) still reads: a site matches whatever its caller, its paths rebased from the directory ci ran in', async () => {
    const file = join(tempDir(), 'old.json');
    writeFileSync(file, JSON.stringify({ asyncdebugBaseline: 1, sites: [{ kind: 'block', file: 'report.js', function: 'spin' }] }));
    // The old file was written in /p/src (its paths relative to it); the root is now the repository, /p.
    const baseline = await readBaseline(file, { root: '/p', legacyRoot: '/p/src' });
    expect(baseline.format).toBe(1);
    const gate = evaluate(groupSites([block('b1', [SPIN, RENDER], 300), block('b3', [SPIN, EXPORT], 600)], '/p'), { budgets: new Map(), minMs: 0, baseline });
    expect([...gate.status.values()]).toEqual(['baseline', 'baseline']);
    expect(gate.failed).toBe(false);
    writeFileSync(file, JSON.stringify({ asyncdebugBaseline: 2, sites: [{ kind: 'block', file: 'a.js', function: 'f', caller: { file: 'a.js' } }] }));
    await expect(readBaseline(file)).rejects.toThrow(/bad entry at sites\[0\]/);
  });
});

describe('JUnit', () => {
  const odd = frame('/p/src/a\nb.js', 'weird\nname\u0007\u001b[31m', 12);
  const sites = groupSites([block('b1', [SPIN, RENDER], 300), block('b2', [odd, TIMER], 200), block('b3', [frame('/elsewhere/x.js', 'far', 1)], 150)], '/p');
  const gate = evaluate(sites, { budgets: new Map([['block', 1]]), minMs: 0, baseline: null });
  const xml = toJunit(sites, gate, { code: 1, signal: null, startError: null }, 1234);

  it("is valid against Jenkins xunit's JUnit schema (no file or line on a test case)", async () => {
    expect(await xunitErrors(xml)).toEqual([]);
    expect(xml).not.toMatch(/<testcase[^>]* (file|line)=/);
    // the check can fail: the attributes the earlier versions wrote are refused
    expect((await xunitErrors(xml.replace('<testcase classname="asyncdebug.block"', '<testcase file="a.js" line="3" classname="asyncdebug.block"'))).join('\n')).toMatch(/attribute 'file': The attribute 'file' is not allowed/);
  });

  it('names each test by its site without the line (kind, file, function, caller): moving code keeps its history', () => {
    const moved = groupSites([block('b1', [{ ...SPIN, line: 50 }, { ...RENDER, line: 70 }], 300)], '/p');
    const names = (x: string) => [...x.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((m) => `${m[1]} | ${m[2]}`);
    const again = toJunit(moved, evaluate(moved, { budgets: new Map(), minMs: 0, baseline: null }), OK, 10);
    expect(names(again)).toEqual(['asyncdebug | command', 'asyncdebug.block | src/report.js spin ← renderReport']);
    expect(names(xml)).toContain('asyncdebug.block | src/report.js spin ← renderReport');
    // the line is in the failure's text (in system-out for a site that passed)
    expect(again).toMatch(/<failure [^>]*>blocked 300 ms\n1× at src\/report\.js:50 spin ← renderReport \(pid 7 main\)<\/failure>/);
    const passed = toJunit(moved, evaluate(moved, { budgets: new Map([['block', 1]]), minMs: 0, baseline: null }), OK, 10);
    expect(passed).toContain('<system-out>within-budget: blocked 300 ms\n1× at src/report.js:50 spin ← renderReport (pid 7 main)</system-out>');
  });

  it('escapes attributes (a newline is a character reference, never raw) and drops control characters', () => {
    const tag = xml.match(/<testcase [^>]*weird[^>]*>/)![0];
    expect(tag).toContain('name="src/a&#10;b.js weird&#10;name[31m"');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
  });

  it('keeps to what GitLab reads: one top-level testsuites, test cases in a testsuite, each with classname, name and time; a failure with its text', () => {
    expect(xml.match(/<testsuites\b/g)).toHaveLength(1);
    const cases = [...xml.matchAll(/<testcase ([^>]*)>/g)].map((m) => m[1]!);
    expect(cases.length).toBeGreaterThan(2);
    for (const attrs of cases) expect(attrs).toMatch(/^classname="[^"]+" name="[^"]+" time="[\d.]+"$/);
    expect(xml).toMatch(/<failure message="[^"]+" type="block">blocked \d+ ms\n\d+× at /);
    expect(xml).toMatch(/<testsuite name="asyncdebug" tests="\d+" failures="\d+" errors="0"/);
  });
});

describe('SARIF', () => {
  const sites = groupSites(
    [block('b1', [SPIN, RENDER], 300), block('b2', [frame('/elsewhere/x.js', 'far', 1)], 150), block('b3', [frame('/p/src/a b#c.js', 'f', 4)], 200)],
    '/p',
  );
  const gate = evaluate(sites, { budgets: new Map(), minMs: 0, baseline: null });
  const log = toSarif({ root: '/p', sites, gate, command: ['node', 'x.js'], result: OK });

  it("is valid against the OASIS schema and passes GitHub's ingestion rules, with what GitHub shows (help in Markdown)", () => {
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(githubSarifProblems(log, { recommended: true })).toEqual([]);
    const rule = log.runs[0]!.tool.driver.rules![0]!;
    expect(rule).toMatchObject({ id: 'block', name: 'EventLoopBlocked', shortDescription: { text: 'Event loop blocked' } });
    expect(rule.help!.text).toContain('docs/report-format.md');
    // the docs are named inside the package: no link out of it
    expect(JSON.stringify(log)).not.toMatch(/https?:\/\/(?!json\.schemastore\.org\/sarif-2\.1\.0\.json")/);
  });

  it('the checks can fail: a rule without help, an absolute path outside the checkout', () => {
    const broken = structuredClone(log);
    delete broken.runs[0]!.tool.driver.rules![0]!.help;
    broken.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!.uri = 'file:///elsewhere/x.js';
    expect(githubSarifProblems(broken)).toEqual([
      '/runs/0/tool/driver/rules/0: no help',
      '/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri: an absolute file URI outside any invocations[].workingDirectory: file:///elsewhere/x.js',
    ]);
  });

  it('lists files of the repository only, relative, with their callers in the message; fingerprints by site key', () => {
    const results = log.runs[0]!.results!;
    expect(results.map((r) => r.locations![0]!.physicalLocation!.artifactLocation!.uri)).toEqual(['src/report.js', 'src/a%20b%23c.js']);
    expect(results[0]!.message.text).toContain('called from renderReport');
    expect(results[0]!.partialFingerprints).toEqual({ 'asyncdebugSite/v2': 'block src/report.js spin ← renderReport' });
    expect(log.runs[0]!.properties).toEqual({ sitesOutsideRoot: 1, sitesNotListed: 0 });
  });

  it(`lists at most ${MAX_RESULTS} results (code scanning's limit), counting the rest`, () => {
    const many = groupSites(Array.from({ length: MAX_RESULTS + 5 }, (_, i) => block(`b${i}`, [frame(`/p/f${i}.js`, 'f', 1)], 200)), '/p');
    const big = toSarif({ root: '/p', sites: many, gate: evaluate(many, { budgets: new Map(), minMs: 0, baseline: null }), command: ['x'], result: OK });
    expect(big.runs[0]!.results).toHaveLength(MAX_RESULTS);
    expect(big.runs[0]!.properties).toEqual({ sitesOutsideRoot: 0, sitesNotListed: 5 });
    expect(githubSarifProblems(big)).toEqual([]);
  });
});

describe('the default root', () => {
  it("GITHUB_WORKSPACE when the command runs inside it, else git's top level, else the working directory", () => {
    const repo = realpathSync(tempDir());
    const sub = join(repo, 'packages', 'api');
    mkdirSync(sub, { recursive: true });
    expect(defaultRoot(sub, {})).toEqual({ dir: sub, from: 'cwd' });
    execFileSync('git', ['init', '-q', repo]);
    expect(defaultRoot(sub, {})).toEqual({ dir: repo, from: 'git' });
    expect(defaultRoot(sub, { GITHUB_WORKSPACE: join(repo, 'packages') })).toEqual({ dir: join(repo, 'packages'), from: 'GITHUB_WORKSPACE' });
    // a workspace the command does not run in is not its root
    expect(defaultRoot(sub, { GITHUB_WORKSPACE: tempDir() })).toEqual({ dir: repo, from: 'git' });
  });
});
