// `asyncdebug report <dir|file...>`: the summary table from saved JSON Lines reports.
import { relative, resolve } from 'node:path';
import { isReportedKind, REPORTED_KINDS } from '../kinds.js';
import { isHealthLine } from '../health-record.js';
import { takeHtmlOption } from './html-option.js';
import { formatProblem, readReports } from './report-files.js';
import { groupSites, runFacts } from './sites.js';
import { chalkFor } from './style.js';
import { safeJson } from '../safe-text.js';
import { summaryTable } from './site-table.js';
import { groupRequests, requestTable } from './request-table.js';
import { parse, UsageError } from './usage.js';

export const REPORT_HELP = `Usage: asyncdebug report [options] <dir|file...>

Reads JSON Lines reports (directories give their asyncdebug-<pid>.jsonl files) and prints the
summary table by kind and site. A broken or cut-off line is named (file:line) on stderr and
skipped; a finding written more than once (same pid and id) counts once, as its latest line.

Options:
  --json        print the sites as JSON on stdout instead of the table
  --html [FILE] also write the run as one self-contained HTML page: timelines of every thread,
                every finding with its stack, code and profile, the top sites (FILE: a name
                ending in .html, or --html=FILE; default asyncdebug-report.html). An existing
                FILE is replaced only if it is a regular file of yours (never via a symlink)
  --kind KIND   only this kind (repeatable)
  --root DIR    project root that sites are shown relative to (default: cwd)
  -h, --help    this help

Exit codes: 0 read; 1 a path could not be read (the others are still reported) or the HTML
report could not be written; 2 bad usage.
`;

export async function reportCommandLine(args: string[]): Promise<number> {
  const { html, rest } = takeHtmlOption(args);
  const { values, positionals } = parse('report', rest, {
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
  const findings = kinds.length ? reports.findings.filter((f) => f.kind === 'summary' || isHealthLine(f) || kinds.includes(kindOf(f))) : reports.findings;
  const sites = groupSites(findings, root);
  const facts = runFacts(reports.findings);
  if (values.json) {
    process.stdout.write(safeJson(JSON.stringify({ ...facts, files: reports.files, sites, requests: groupRequests(findings), problems: reports.problems }, null, 2)) + '\n');
  } else {
    process.stdout.write(summaryTable(sites, facts, chalkFor(1)));
    process.stdout.write(requestTable(groupRequests(findings), chalkFor(1)));
  }
  let failed = reports.problems.some((p) => p.line === 0);
  if (html !== null) {
    const path = resolve(html);
    try {
      // The HTML module loads only when asked for.
      const { writeHtmlReport, describeWritten } = await import('../html/html-report.js');
      const written = await writeHtmlReport(path, { ...reports, findings }, { root });
      const rel = relative(process.cwd(), path);
      process.stderr.write(`asyncdebug: ${describeWritten(written, rel && !rel.startsWith('..') ? rel : path)}\n`);
    } catch (err) {
      process.stderr.write(`asyncdebug: ${(err as Error).message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
