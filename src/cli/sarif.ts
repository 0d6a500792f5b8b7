// SARIF 2.1.0 (the OASIS schema; test/cli/schema has it) as GitHub code scanning ingests it: one result
// per counted site in a file of the repository, with the baseline state when a baseline was used. Paths
// are relative to %SRCROOT% (the project root: ci's --root, by default the repository's). Every rule has
// what GitHub requires (id, short and full description, help) and its help in Markdown; the tool's
// informationUri only when package.json names a home page (the docs ship inside the package, and the
// rules' help names them there). test/cli/sarif-rules.ts checks GitHub's ingestion rules.
import type * as Sarif from 'sarif';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatDuration } from '../wording.js';
import type { Gate, SiteStatus } from './gate.js';
import type { CommandResult } from './launch.js';
import { kindTitle } from '../kinds.js';
import { ruleHelp } from './rule-help.js';
import { callerLabel, type Site } from './sites.js';
import { HOMEPAGE, VERSION } from './version.js';

const LEVELS: Record<SiteStatus, Sarif.Result.level> = {
  'over-budget': 'error',
  'within-budget': 'warning',
  baseline: 'note',
  'below-min': 'none',
  'not-counted': 'none',
  'test-code': 'none',
  external: 'none',
};

/** Code scanning shows this many results of a run (its default limit); the rest are counted in the run's properties. */
export const MAX_RESULTS = 1000;

/** A file of the repository: relative to the root (not an absolute path outside it, nor `[worker eval]`). */
function inRepository(file: string | null): file is string {
  return file !== null && !isAbsolute(file) && !file.startsWith('[');
}

function uri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

function rule(kind: string): Sarif.ReportingDescriptor {
  const h = ruleHelp(kind);
  const path = `node_modules/asyncdebug/${h.doc.split(',')[0]}`;
  return {
    id: kind,
    name: h.name,
    shortDescription: { text: kindTitle(kind) },
    fullDescription: { text: h.description },
    help: {
      text: `${h.description}\n\n${h.advice}\n\nMore: ${h.doc} in the asyncdebug package (${path}).`,
      markdown: `${h.description}\n\n**What to do.** ${h.advice}\n\nMore: ${h.doc} in the asyncdebug package (\`${path}\`).`,
    },
    defaultConfiguration: { level: 'error' },
    properties: { tags: ['performance', 'event-loop'] },
  };
}

function message(s: Site): string {
  const via = s.caller ? `; called from ${callerLabel(s.caller, s.file)}` : '';
  return `${s.message} (${s.count}× at this site, worst ${formatDuration(s.worstMs)}${via})`;
}

export interface SarifInput {
  root: string;
  sites: Site[];
  gate: Gate;
  command: string[];
  result: CommandResult;
}

export function toSarif({ root, sites, gate, command, result }: SarifInput): Sarif.Log {
  // Files of the repository only: code scanning rejects a log whose absolute paths lie outside its checkout.
  const counted = sites.filter((s) => s.file !== null && gate.status.get(s.key) !== 'below-min');
  const shown = counted.filter((s) => inRepository(s.file));
  const kept = shown.slice(0, MAX_RESULTS);
  const ruleIds = [...new Set(kept.map((s) => s.kind))].sort();
  const results: Sarif.Result[] = kept.map((s) => {
    const status = gate.status.get(s.key) ?? 'within-budget';
    const r: Sarif.Result = {
      ruleId: s.kind,
      ruleIndex: ruleIds.indexOf(s.kind),
      level: LEVELS[status],
      message: { text: message(s) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uri(s.file!), uriBaseId: '%SRCROOT%' },
            // a transformed line (Site.generated) would point at the wrong line of the source: the file alone
            ...(s.generated ? {} : { region: { startLine: Math.max(1, s.line), startColumn: Math.max(1, s.column) } }),
          },
          logicalLocations: [{ name: s.function ?? '<anonymous>', kind: 'function' }],
        },
      ],
      // The site's key: kind, file, function and caller (v2: since sites have callers).
      partialFingerprints: { 'asyncdebugSite/v2': s.key },
      properties: { count: s.count, worstMs: s.worstMs, totalMs: Math.round(s.totalMs * 100) / 100, threads: s.threads, status },
    };
    if (gate.usedBaseline) r.baselineState = status === 'baseline' ? 'unchanged' : 'new';
    return r;
  });
  const rootUri = pathToFileURL(root.endsWith('/') ? root : `${root}/`).href;
  const outside = counted.length - shown.length;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'asyncdebug', version: VERSION, semanticVersion: VERSION, ...(HOMEPAGE ? { informationUri: HOMEPAGE } : {}), rules: ruleIds.map(rule) } },
        originalUriBaseIds: { '%SRCROOT%': { uri: rootUri } },
        invocations: [
          {
            commandLine: command.join(' '),
            executionSuccessful: !result.startError && result.code === 0,
            ...(result.code !== null ? { exitCode: result.code } : {}),
            ...(result.signal ? { exitSignalName: result.signal } : {}),
          },
        ],
        results,
        ...(outside || shown.length > kept.length ? { properties: { sitesOutsideRoot: outside, sitesNotListed: shown.length - kept.length } } : {}),
      },
    ],
  };
}
