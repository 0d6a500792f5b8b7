// `asyncdebug ci [options] -- <command...>`: `run` as a gate. Exit codes: 0 the command passed and
// findings are within budget; 1 findings over budget (or new against the baseline); 2 a usage error;
// 3 the command itself failed (or could not start), or the gate could not see the whole run (no process
// reported, a report cut off, capped or unreadable, an output not written), whatever the findings: it
// fails closed (completeness.ts).
import { writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { readBaseline, writeBaseline, type Baseline } from './baseline.js';
import { defaultRoot } from './root.js';
import { evaluate, floorOf, parseBudgets, type Gate, type GateOptions, type SiteStatus } from './gate.js';
import type { Site } from './sites.js';
import { formatDuration } from '../wording.js';
import { annotations, stepSummary, writeStepSummary } from './github.js';
import { toJunit } from './junit.js';
import { describeStatus } from './launch.js';
import { toSarif } from './sarif.js';
import { runSession } from './session.js';
import { chalkFor, isTTY } from './style.js';
import { summaryTable, type Marks } from './site-table.js';
import { groupRequests, requestTable } from './request-table.js';
import { parseWithCommand, UsageError, wholeNumber } from './usage.js';

export const EXIT_FINDINGS = 1;
export const EXIT_COMMAND_FAILED = 3;
const DEFAULT_BASELINE = 'asyncdebug-baseline.json';

export const CI_HELP = `Usage: asyncdebug ci [options] -- <command...>

Runs the command like 'asyncdebug run' (agent console off: one progress line per new site),
then gates on the findings. Findings are grouped into sites: kind + file (relative to the root)
+ function + its caller (the next application frame: file and function), never a line. A site
counts unless it has no application frame (the test runner's own work, or a block the stack
could not name), it is in a test file (test/, tests/, __tests__/, *.test.*,
*.spec.*: the test's own work, class test-code), it held the loop too briefly (below), or it is
in the baseline. A block site counts when one block spent at least twice the block threshold
(ASYNC_DEBUG_SLOW_MS, 100 ms: so 200 ms) at that site, on a CPU or asleep (asleep in a sync API,
or when it waited for a CPU less than half the block: else the machine's load): blocks just over the
threshold come and go with the machine's load, and a gate must give the same answer twice; they
are listed, not counted. Budgets limit counted sites per kind. Blocks spent loading modules after
start-up are the kind module-load: a warm-up, shown but not counted unless --budget module-load=N
is given; sites in test files likewise with --budget test-code=N.

Options:
  --budget KIND=N[,KIND=N]  max counted sites per kind (repeatable; * = every other kind).
                            Default: block=0 and no limit for other kinds; with --baseline,
                            0 for every kind (anything new fails); module-load and test-code
                            only when named
  --min-ms N                count a site only when one block or call spent N ms at it
                            (default: twice the block threshold for blocks, 0 for the rest)
  --baseline FILE           accept the sites listed in FILE (see --update-baseline)
  --update-baseline         write this run's sites to the baseline (FILE, or ${DEFAULT_BASELINE});
                            the gate is not applied
  --sarif FILE              write SARIF 2.1.0 (code scanning)
  --junit FILE              write JUnit XML (one test case per site, failures over budget)
  --html FILE               write the run as one self-contained HTML page (timelines, findings
                            with stack, code and profile, top sites): a build artifact
  --github                  GitHub annotations and job summary (on by itself when GITHUB_ACTIONS=true)
  --report-dir DIR          where the JSON Lines reports go (default: a new temp directory)
  --root DIR                project root that files are named relative to (default: the
                            repository's: GITHUB_WORKSPACE, else git's top level, else cwd)
  --console                 also show the agent's live console output
  -h, --help                this help

Exit codes:
  0  the command passed and findings are within budget
  1  findings over budget or new against the baseline
  2  bad usage (unknown flag, bad budget, missing or broken baseline)
  3  the command failed (its exit status is printed) or could not start; or the gate
     could not see the whole run: no process of the command reported (the agent did
     not run in it: a command that clears NODE_OPTIONS), a report was cut off (a full
     disk), reached its cap or could not be read, or --sarif/--junit could not be written

Example:
  asyncdebug ci --baseline asyncdebug-baseline.json --sarif asyncdebug.sarif -- npm test
`;

const MARKS: Record<Exclude<SiteStatus, 'below-min'>, string> = {
  'over-budget': 'FAIL',
  'within-budget': 'within budget',
  baseline: 'baseline',
  'not-counted': 'module-load (not counted)',
  'test-code': 'test code (not counted)',
  external: 'not counted',
};

/** A site's mark in the table: its status, and for one under the floor, the floor. */
function markOf(site: Site, status: SiteStatus, minMs: number | null): string {
  if (status !== 'below-min') return MARKS[status];
  return minMs === null ? `under ${formatDuration(floorOf(site, null))} (not counted)` : 'under --min-ms';
}

/** What the table's "not counted" marks mean, once each, when the table has them. */
function statusNotes(gate: Gate, minMs: number | null, c: ReturnType<typeof chalkFor>): string {
  const has = (st: SiteStatus) => [...gate.status.values()].includes(st);
  const notes: string[] = [];
  if (has('test-code')) notes.push(`${c.dim('test code')}: a site in a test file is the test's own work (an assertion, a fixture); counted only with --budget test-code=N`);
  if (has('below-min') && minMs === null) notes.push(`${c.dim('under N ms')}: a block site counts when one block spent twice the block threshold at it (on a CPU, or asleep: in a sync API, or where it did not mostly wait for a CPU); shorter ones vary with the machine's load; --min-ms N sets the floor`);
  return notes.map((n) => `  ${n}\n`).join('');
}

/** A path as the lines name it: relative to the working directory when inside it. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The baseline, saying when it is of the format without callers. */
async function loadBaseline(path: string, root: string, rootGiven: boolean, say: (line: string) => void): Promise<Baseline> {
  // A format 1 file's paths are relative to the root of its time: --root, or the directory ci ran in.
  const baseline = await readBaseline(path, { root, legacyRoot: rootGiven ? root : process.cwd() });
  if (baseline.format < 2) {
    say(`asyncdebug ci: the baseline ${shownPath(path)} names sites without their callers (format 1): each of its sites accepts every caller of its function; rewrite it with --update-baseline to accept only the callers seen\n`);
  }
  return baseline;
}

/** The table's status column when the gate is applied. */
function gateMarks(gate: Gate, sites: Site[], minMs: number | null, c: ReturnType<typeof chalkFor>): Marks {
  const byKey = new Map(sites.map((s) => [s.key, s]));
  return new Map([...gate.status].map(([k, s]) => [k, s === 'over-budget' ? c.red(MARKS[s]) : markOf(byKey.get(k)!, s, minMs)]));
}

/** What --update-baseline writes: every site with an application frame that held the loop long enough (the floor, or --min-ms). */
function acceptedByUpdate(status: SiteStatus | undefined): boolean {
  return status !== 'below-min' && status !== 'external';
}

/** The table's status column with --update-baseline: what goes into the baseline (the gate is not applied). */
function updateMarks(gate: Gate, sites: Site[], minMs: number | null): Marks {
  const byKey = new Map(sites.map((s) => [s.key, s]));
  return new Map([...gate.status].map(([k, s]) => [k, acceptedByUpdate(s) ? 'into the baseline' : markOf(byKey.get(k)!, s, minMs)]));
}

function verdictLines(gate: Gate, c: ReturnType<typeof chalkFor>): string {
  const lines: string[] = [];
  for (const k of gate.kinds) {
    const budget = Number.isFinite(k.budget) ? String(k.budget) : 'no limit';
    const what = gate.usedBaseline ? 'new site' : 'site';
    const text = `${k.kind}: ${k.counted} ${what}${k.counted === 1 ? '' : 's'}, budget ${budget}`;
    lines.push(`  ${k.over ? c.red(`✗ ${text}`) : c.green(`✓ ${text}`)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export async function ciCommandLine(args: string[]): Promise<number> {
  const { values, command } = parseWithCommand('ci', args, {
    budget: { type: 'string', multiple: true },
    'min-ms': { type: 'string' },
    baseline: { type: 'string' },
    'update-baseline': { type: 'boolean' },
    sarif: { type: 'string' },
    junit: { type: 'string' },
    html: { type: 'string' },
    github: { type: 'boolean' },
    'report-dir': { type: 'string' },
    root: { type: 'string' },
    console: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(CI_HELP);
    return 0;
  }
  const budgetSpecs = (values.budget as unknown as string[] | undefined) ?? [];
  const options: GateOptions = {
    budgets: parseBudgets(budgetSpecs),
    minMs: wholeNumber('ci', 'min-ms', values['min-ms']) ?? null,
    baseline: null,
  };
  const root = values.root !== undefined ? resolve(String(values.root)) : defaultRoot().dir;
  const baselinePath = values.baseline ? resolve(String(values.baseline)) : null;
  const update = values['update-baseline'] === true;
  const c = chalkFor(2);
  const err = (t: string) => process.stderr.write(t);
  // Read before the command runs: a broken baseline should not cost a whole test run.
  if (baselinePath && !update) options.baseline = await loadBaseline(baselinePath, root, values.root !== undefined, (t) => err(c.dim(t)));
  if (command.length === 0) throw new UsageError('ci: no command given; usage: asyncdebug ci [options] -- <command...>');

  const session = await runSession({
    name: 'ci',
    command,
    reportDir: values['report-dir'] as string | undefined,
    root,
    reporters: values.console ? ['console', 'json'] : ['json'],
    progress: true,
    c,
    err,
  });
  const { sites, result } = session;
  const gate = evaluate(sites, options);
  err(summaryTable(sites, session.facts, c, update ? updateMarks(gate, sites, options.minMs) : gateMarks(gate, sites, options.minMs, c)));
  err(requestTable(groupRequests(session.reports.findings), c));
  err(statusNotes(gate, options.minMs, c));

  // What the gate could not do is a reason it has not passed.
  const incomplete = [...session.incomplete];
  const written: string[] = [];
  const output = async (flag: string, file: unknown, text: () => string) => {
    if (!file) return;
    try {
      await writeFile(String(file), text());
      written.push(`${flag.toUpperCase()} ${shownPath(resolve(String(file)))}`);
    } catch (e) {
      incomplete.push(`cannot write --${flag} ${String(file)}: ${(e as Error).message}`);
    }
  };
  await output('sarif', values.sarif, () => JSON.stringify(toSarif({ root, sites, gate, command, result }), null, 2) + '\n');
  await output('junit', values.junit, () => toJunit(sites, gate, result, session.elapsedMs));
  // Where it all went, as `run` says it.
  const wrote = written.length ? `; wrote ${written.join(', ')}` : '';
  err(c.dim(`  reports in ${session.reportDir} (asyncdebug report ${session.reportDir})${wrote}`) + '\n');
  // The HTML report is for people, not the gate: a failure to write it is one line and leaves the gate alone.
  if (values.html) await (await import('../html/html-report.js')).writeCiHtml(resolve(String(values.html)), session.reports, { root, command }, err);
  const github = values.github === true || process.env.GITHUB_ACTIONS === 'true';
  if (github && !update) {
    for (const line of annotations(sites, gate)) process.stdout.write(`${line}\n`);
    const summaryFile = process.env.GITHUB_STEP_SUMMARY;
    if (summaryFile) {
      try {
        await writeStepSummary(summaryFile, stepSummary(sites, gate, result));
      } catch (e) {
        err(`asyncdebug: cannot write the job summary to ${summaryFile}: ${(e as Error).message}\n`);
      }
    }
  }

  const commandOk = !result.startError && result.code === 0;
  const sayIncomplete = () => {
    incomplete.forEach((reason, i) => err(c.red(`asyncdebug ci: ${i === 0 ? 'not passed' : 'also'}: ${reason}${i === 0 ? ` (exit ${EXIT_COMMAND_FAILED})` : ''}`) + '\n'));
  };
  if (update) {
    const path = baselinePath ?? resolve(DEFAULT_BASELINE);
    const n = await writeBaseline(path, sites.filter((s) => acceptedByUpdate(gate.status.get(s.key))));
    const shown = shownPath(path);
    err(`  wrote ${n} site${n === 1 ? '' : 's'} to the baseline ${shown}${baselinePath ? '' : ` (use it with --baseline ${shown})`}\n`);
    if (!commandOk) err(c.red(`  ${describeStatus(result)}: the baseline holds only what ran before it failed`) + '\n');
    sayIncomplete();
    return commandOk && incomplete.length === 0 ? 0 : EXIT_COMMAND_FAILED;
  }
  err(verdictLines(gate, c));
  if (!commandOk) {
    err(c.red(`asyncdebug ci: ${describeStatus(result)} (exit ${EXIT_COMMAND_FAILED})`) + '\n');
    return EXIT_COMMAND_FAILED;
  }
  if (incomplete.length) {
    sayIncomplete();
    return EXIT_COMMAND_FAILED;
  }
  if (gate.failed) {
    const hint = gate.usedBaseline ? 'fix them, or accept them with --update-baseline' : 'fix them, raise --budget, or accept them with a baseline (--update-baseline)';
    err(c.red(`asyncdebug ci: findings over budget (exit ${EXIT_FINDINGS}); ${hint}`) + '\n');
    return EXIT_FINDINGS;
  }
  err(c.green(`asyncdebug ci: passed${isTTY(2) ? ' ✓' : ''}`) + '\n');
  return 0;
}
