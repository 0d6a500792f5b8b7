// `asyncdebug ci` on a fixture project whose node:test suite blocks the event loop: budgets, the
// baseline (and that it survives a line shift), SARIF against the official schema and GitHub's rules,
// JUnit against Jenkins xunit's schema, GitHub; sites by call path; paths from the repository's root.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { markerLine, tempDir } from '../helpers.js';
import { CLI_FIXTURES, copyProject, runCli } from './cli-helpers.js';
import { githubSarifProblems } from './sarif-rules.js';

const require = createRequire(import.meta.url);

/** Jenkins xunit's JUnit schema (test/cli/schema/junit-10.xsd), checked with libxml2's xmllint (WebAssembly). */
async function xunitErrors(xml: string): Promise<string[]> {
  const { validateXML } = require('xmllint-wasm') as typeof import('xmllint-wasm');
  const xsd = readFileSync(join(import.meta.dirname, 'schema', 'junit-10.xsd'), 'utf8');
  const r = await validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [{ fileName: 'junit-10.xsd', contents: xsd }] });
  return r.valid ? [] : r.errors.map((e) => e.message);
}

/** The official SARIF 2.1.0 schema (OASIS, draft-04) vendored in test/cli/schema. */
function sarifValidator() {
  const Ajv = require('ajv-draft-04') as typeof import('ajv-draft-04').default;
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, 'schema', 'sarif-schema-2.1.0.json'), 'utf8'));
  return ajv.compile(schema);
}

const TEST_FILE = 'test/slow.test.mjs';
/** Where the project's blocking code is (a block in the test file itself is the test's own work). */
const SRC_FILE = 'src/sort.mjs';
const suite = ['--', process.execPath, '--test', TEST_FILE];

describe('asyncdebug ci', () => {
  it('fails over budget, passes with a baseline, survives a line shift, fails again on a new block', async () => {
    const project = copyProject('ci-project');
    const file = join(project, SRC_FILE);
    const blockLine = markerLine(file);
    const sarif = join(project, 'out.sarif');
    const junit = join(project, 'out.xml');
    const stepSummary = join(project, 'summary.md');

    // 1. No baseline: blocks have a budget of 0.
    const first = await runCli(['ci', '--sarif', sarif, '--junit', junit, '--github', ...suite], { cwd: project, env: { GITHUB_STEP_SUMMARY: stepSummary } });
    expect(first.stderr).toMatch(new RegExp(`block\\s+${SRC_FILE}:${blockLine} sortSlowly .*FAIL`));
    expect(first.stderr).toContain('✗ block: 1 site, budget 0');
    expect(first.code).toBe(1);
    // The suite's own output is untouched, and the progress line named the block while it ran.
    expect(first.stdout).toMatch(/pass 2/); // tap on Node 20/22, spec on 24
    expect(first.stderr).toMatch(new RegExp(`asyncdebug block .*at ${SRC_FILE}:${blockLine} sortSlowly`));

    // SARIF validates against the official schema, passes GitHub's rules and points at the line.
    const log = JSON.parse(readFileSync(sarif, 'utf8'));
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(githubSarifProblems(log, { recommended: true })).toEqual([]);
    const results = log.runs[0].results as { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[];
    const blockResult = results.find((r) => r.ruleId === 'block')!;
    expect(blockResult.level).toBe('error');
    expect(blockResult.locations[0]!.physicalLocation.artifactLocation.uri).toBe(SRC_FILE);
    expect(blockResult.locations[0]!.physicalLocation.region.startLine).toBe(blockLine);
    // JUnit: the command passed, the site failed: named without its line, the line in the failure.
    const xml = readFileSync(junit, 'utf8');
    expect(await xunitErrors(xml)).toEqual([]);
    expect(xml).toMatch(/<testsuite name="asyncdebug" tests="\d+" failures="1"/);
    expect(xml).toContain(`name="${SRC_FILE} sortSlowly ← ${TEST_FILE} &lt;anonymous&gt;"`);
    expect(xml).toContain(`at ${SRC_FILE}:${blockLine} sortSlowly`);
    // Where the reports and outputs went.
    expect(first.stderr).toMatch(/reports in \S+ \(asyncdebug report \S+\); wrote SARIF out\.sarif, JUNIT out\.xml/);
    // GitHub: an error annotation at the line, and a job summary.
    expect(first.stdout).toMatch(new RegExp(`^::error file=${SRC_FILE},line=${blockLine},col=\\d+,title=asyncdebug%3A Event loop blocked::`, 'm'));
    expect(readFileSync(stepSummary, 'utf8')).toContain(`| over-budget | block | \`${SRC_FILE}:${blockLine} sortSlowly ← ${TEST_FILE} <anonymous>\``);

    // 2. A budget of one block site lets it through.
    const budget = await runCli(['ci', '--budget', 'block=1', ...suite], { cwd: project });
    expect(budget.stderr).toContain('✓ block: 1 site, budget 1');
    expect(budget.code).toBe(0);

    // 3. Accept it into a baseline: a readable file keyed by kind, file, function and caller.
    const baseline = join(project, 'asyncdebug-baseline.json');
    const update = await runCli(['ci', '--update-baseline', '--baseline', baseline, ...suite], { cwd: project });
    expect(update.code).toBe(0);
    // It applies no gate: no FAIL rows while it exits 0.
    expect(update.stderr).not.toContain('FAIL');
    expect(update.stderr).toMatch(new RegExp(`block\\s+${SRC_FILE}:${blockLine} sortSlowly .*into the baseline`));
    const written = JSON.parse(readFileSync(baseline, 'utf8'));
    expect(written.sites).toContainEqual({ kind: 'block', file: SRC_FILE, function: 'sortSlowly', caller: { file: TEST_FILE, function: '<anonymous>' } });
    expect(readFileSync(baseline, 'utf8')).not.toMatch(/"line"/);

    // 4. Lines added above the block move it; the baseline still matches.
    const source = readFileSync(file, 'utf8');
    writeFileSync(file, `// one\n// two\n// three\n${source}`);
    const shifted = await runCli(['ci', '--baseline', baseline, '--sarif', sarif, ...suite], { cwd: project });
    expect(shifted.stderr).toMatch(new RegExp(`block\\s+${SRC_FILE}:${blockLine + 3} sortSlowly .*baseline`));
    expect(shifted.code).toBe(0);
    const shiftedLog = JSON.parse(readFileSync(sarif, 'utf8'));
    expect(validate(shiftedLog), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(shiftedLog.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'block').baselineState).toBe('unchanged');

    // 5. A new blocking function is new against the baseline: fails again.
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}
export function parseSlowly(text) {
  const from = cpu();
  while (cpu(from).user + cpu(from).system < 400e3) {} // @new-block
  return JSON.parse(text);
}
`,
    );
    const testFile = join(project, TEST_FILE);
    writeFileSync(
      testFile,
      `${readFileSync(testFile, 'utf8').replace("import { sortSlowly } from '../src/sort.mjs';", "import { parseSlowly, sortSlowly } from '../src/sort.mjs';")}
test('parses', async () => {
  await sleep(800);
  assert.deepEqual(parseSlowly('[]'), []);
});
`,
    );
    const again = await runCli(['ci', '--baseline', baseline, ...suite], { cwd: project });
    expect(again.stderr).toMatch(new RegExp(`block\\s+${SRC_FILE}:${markerLine(file, '@new-block')} parseSlowly .*FAIL`));
    expect(again.stderr).toMatch(new RegExp(`block\\s+${SRC_FILE}:\\d+ sortSlowly .*baseline`));
    expect(again.stderr).toContain('✗ block: 1 new site, budget 0');
    expect(again.code).toBe(1);
  });

  it("reports the command's own failure as such (exit 3), and --min-ms drops short findings", async () => {
    const project = copyProject('ci-project');
    writeFileSync(join(project, 'test', 'failing.test.mjs'), "import { test } from 'node:test';\ntest('fails', () => { throw new Error('red'); });\n");
    const failed = await runCli(['ci', '--min-ms', '60000', '--', process.execPath, '--test', TEST_FILE, 'test/failing.test.mjs'], { cwd: project });
    expect(failed.stderr).toContain('the command exited with code 1 (exit 3)');
    // The block is under --min-ms: not counted, so the gate alone would have passed. (The table row
    // itself is not asserted: with two test files in parallel on a loaded machine the watchdog may
    // read no stack, and the block is then a `(no stack)` row; the unit test pins --min-ms.)
    expect(failed.stderr).not.toContain('✗ block');
    expect(failed.code).toBe(3);
  });

  it('a heavy require() after start-up in a node:test file is module-load: shown, passes by default, fails --budget module-load=0', async () => {
    const project = copyProject('module-load-project');
    const file = join(project, 'test', 'lazy.test.mjs');
    const lazy = ['--', process.execPath, '--test', 'test/lazy.test.mjs'];
    const line = new RegExp(`module-load\\s+test/lazy\\.test\\.mjs:${markerLine(file)} <anonymous> .*module-load \\(not counted\\)`);
    const passed = await runCli(['ci', ...lazy], { cwd: project });
    expect(passed.stderr, passed.stderr).toMatch(line);
    expect(passed.stderr).not.toMatch(/^\s+block\s/m);
    expect(passed.stderr).toContain('asyncdebug ci: passed');
    expect(passed.code).toBe(0);
    const budgeted = await runCli(['ci', '--budget', 'module-load=0', ...lazy], { cwd: project });
    expect(budgeted.stderr, budgeted.stderr).toContain('✗ module-load: 1 site, budget 0');
    expect(budgeted.code).toBe(1);
  });

  it('keys sites by call path: a new caller (exportCsv) spending 600 ms in a baselined helper (spin) fails', async () => {
    const dir = tempDir();
    const app = join(dir, 'report-export.mjs');
    cpSync(join(CLI_FIXTURES, 'apps', 'report-export.mjs'), app);
    const line = markerLine(app, '@spin');
    const command = ['--', process.execPath, 'report-export.mjs'];
    const baseline = join(dir, 'asyncdebug-baseline.json');
    const accepted = await runCli(['ci', '--update-baseline', ...command], { cwd: dir });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(JSON.parse(readFileSync(baseline, 'utf8')).sites).toEqual([{ kind: 'block', file: 'report-export.mjs', function: 'spin', caller: { file: 'report-export.mjs', function: 'renderReport' } }]);
    const same = await runCli(['ci', '--baseline', baseline, ...command], { cwd: dir });
    expect(same.code, same.stderr).toBe(0);
    const exported = await runCli(['ci', '--baseline', baseline, ...command], { cwd: dir, env: { FIXTURE_EXPORT: '1' } });
    expect(exported.stderr).toMatch(new RegExp(`block\\s+report-export\\.mjs:${line} spin ← exportCsv .*FAIL`));
    expect(exported.stderr).toMatch(new RegExp(`block\\s+report-export\\.mjs:${line} spin ← renderReport .*baseline`));
    expect(exported.stderr).toContain('✗ block: 1 new site, budget 0');
    expect(exported.code).toBe(1);
    // A baseline of the earlier format (no callers) accepts every caller of spin, and says so.
    writeFileSync(baseline, JSON.stringify({ asyncdebugBaseline: 1, sites: [{ kind: 'block', file: 'report-export.mjs', function: 'spin' }] }));
    const old = await runCli(['ci', '--baseline', baseline, ...command], { cwd: dir, env: { FIXTURE_EXPORT: '1' } });
    expect(old.stderr).toContain('names sites without their callers (format 1)');
    expect(old.code, old.stderr).toBe(0);
  });

  it("names files from the repository's root when run in a subfolder: SARIF, annotations, JUnit and the baseline", async () => {
    const repo = realpathSync(tempDir());
    const sub = join(repo, 'packages', 'api');
    mkdirSync(sub, { recursive: true });
    cpSync(join(CLI_FIXTURES, 'apps', 'report-export.mjs'), join(sub, 'server.mjs'));
    execFileSync('git', ['init', '-q', repo]);
    const file = 'packages/api/server.mjs';
    const line = markerLine(join(sub, 'server.mjs'), '@spin');
    const r = await runCli(['ci', '--github', '--sarif', 'out.sarif', '--junit', 'out.xml', '--', process.execPath, 'server.mjs'], { cwd: sub });
    expect(r.code, r.stderr).toBe(1);
    const log = JSON.parse(readFileSync(join(sub, 'out.sarif'), 'utf8'));
    expect(log.runs[0].results.map((x: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => x.locations[0]!.physicalLocation.artifactLocation.uri)).toEqual([file]);
    expect(log.runs[0].originalUriBaseIds['%SRCROOT%'].uri).toBe(`file://${repo}/`);
    expect(githubSarifProblems(log)).toEqual([]);
    expect(r.stdout).toMatch(new RegExp(`^::error file=${file},line=${line},`, 'm'));
    const xml = readFileSync(join(sub, 'out.xml'), 'utf8');
    expect(xml).toContain(`name="${file} spin ← renderReport"`);
    expect(await xunitErrors(xml)).toEqual([]);
    // --root still chooses
    const here = await runCli(['ci', '--root', '.', '--sarif', 'here.sarif', '--', process.execPath, 'server.mjs'], { cwd: sub });
    expect(here.code, here.stderr).toBe(1);
    expect(JSON.parse(readFileSync(join(sub, 'here.sarif'), 'utf8')).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('server.mjs');
  });
});
