// `asyncdebug report <dir|file...>`: the summary table from saved JSON Lines reports.
import { resolve } from 'node:path';
import { isReportedKind, REPORTED_KINDS } from '../kinds.js';
import { formatProblem, readReports } from './report-files.js';
import { groupSites, runFacts } from './sites.js';
import { chalkFor } from './style.js';
import { safeJson } from '../safe-text.js';
import { summaryTable } from './site-table.js';
import { parse, UsageError } from './usage.js';

export const REPORT_HELP = `Usage: asyncdebug report [options] <dir|file...>

Reads JSON Lines reports (directories give their asyncdebug-<pid>.jsonl files) and prints the
summary table by kind and site. A broken or cut-off line is named (file:line) on stderr and
skipped; a finding written more than once (same pid and id) counts once, as its latest line.

Options:
  --json        print the sites as JSON on stdout instead of the table
  --kind KIND   only this kind (repeatable)
  --root DIR    project root that sites are shown relative to (default: cwd)
  -h, --help    this help

Exit codes: 0 read; 1 a path could not be read (the others are still reported); 2 bad usage.
`;

export async function reportCommandLine(args: string[]): Promise<number> {
  const { values, positionals } = parse('report', args, {
    json: { type: 'boolean' },
    kind: { type: 'string', multiple: true },
    root: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("report: no report given; usage: asyncdebug report <dir|file...>");
  const kinds = (values.kind as unknown as string[] | undefined) ?? [];
  for (const k of kinds) if (!isReportedKind(k)) throw new UsageError(`report: unknown --kind ${JSON.stringify(k)}; kinds: ${REPORTED_KINDS.join(', ')}`);
  const root = resolve(String(values.root ?? '.'));
  const reports = await readReports(positionals);
  for (const p of reports.problems) process.stderr.write(`asyncdebug: ${formatProblem(p)}\n`);
  const kindOf = (f: (typeof reports.findings)[number]) => ((f.kind as string) === 'aggregate' ? String(f.of) : f.kind);
  const findings = kinds.length ? reports.findings.filter((f) => f.kind === 'summary' || kinds.includes(kindOf(f))) : reports.findings;
  const sites = groupSites(findings, root);
  const facts = runFacts(reports.findings);
  if (values.json) {
    process.stdout.write(safeJson(JSON.stringify({ ...facts, files: reports.files, sites, problems: reports.problems }, null, 2)) + '\n');
  } else {
    process.stdout.write(summaryTable(sites, facts, chalkFor(1)));
  }
  return reports.problems.some((p) => p.line === 0) ? 1 : 0;
}
