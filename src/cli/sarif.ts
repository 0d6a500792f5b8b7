// SARIF 2.1.0 (the OASIS schema; test/cli/schema has it): one result per counted site, with the
// baseline state when a baseline was used. Paths are relative to %SRCROOT% (the project root).
import type * as Sarif from 'sarif';
import { pathToFileURL } from 'node:url';
import { formatDuration } from '../wording.js';
import type { Gate, SiteStatus } from './gate.js';
import type { CommandResult } from './launch.js';
import { kindTitle } from '../kinds.js';
import type { Site } from './sites.js';
import { VERSION } from './version.js';

const LEVELS: Record<SiteStatus, Sarif.Result.level> = {
  'over-budget': 'error',
  'within-budget': 'warning',
  baseline: 'note',
  'below-min': 'none',
  'not-counted': 'none',
  'test-code': 'none',
  external: 'none',
};

function artifact(s: Site): Sarif.ArtifactLocation {
  if (s.file && !s.file.startsWith('/')) return { uri: s.file.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
  return { uri: pathToFileURL(s.absFile ?? s.file ?? '/').href };
}

export interface SarifInput {
  root: string;
  sites: Site[];
  gate: Gate;
  command: string[];
  result: CommandResult;
}

export function toSarif({ root, sites, gate, command, result }: SarifInput): Sarif.Log {
  const withFile = sites.filter((s) => s.file !== null && gate.status.get(s.key) !== 'below-min');
  const ruleIds = [...new Set(withFile.map((s) => s.kind))].sort();
  const rules: Sarif.ReportingDescriptor[] = ruleIds.map((id) => ({
    id,
    name: kindTitle(id),
    shortDescription: { text: kindTitle(id) },
    defaultConfiguration: { level: 'error' },
  }));
  const results: Sarif.Result[] = withFile.map((s) => {
    const status = gate.status.get(s.key) ?? 'within-budget';
    const r: Sarif.Result = {
      ruleId: s.kind,
      ruleIndex: ruleIds.indexOf(s.kind),
      level: LEVELS[status],
      message: { text: `${s.message} (${s.count}× at this site, worst ${formatDuration(s.worstMs)})` },
      locations: [
        {
          physicalLocation: { artifactLocation: artifact(s), region: { startLine: Math.max(1, s.line), startColumn: Math.max(1, s.column) } },
          logicalLocations: [{ name: s.function ?? '<anonymous>', kind: 'function' }],
        },
      ],
      partialFingerprints: { 'asyncdebugSite/v1': s.key },
      properties: { count: s.count, worstMs: s.worstMs, totalMs: Math.round(s.totalMs * 100) / 100, threads: s.threads, status },
    };
    if (gate.usedBaseline) r.baselineState = status === 'baseline' ? 'unchanged' : 'new';
    return r;
  });
  const rootUri = pathToFileURL(root.endsWith('/') ? root : `${root}/`).href;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'asyncdebug', version: VERSION, rules } },
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
      },
    ],
  };
}
