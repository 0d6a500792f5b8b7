// GitHub Actions: workflow-command annotations on stdout and a Markdown job summary. Files are named
// relative to ci's root (by default the repository's: GITHUB_WORKSPACE), as annotations need.
import { appendFile } from 'node:fs/promises';
import { formatDuration } from '../wording.js';
import type { Gate } from './gate.js';
import { describeStatus, type CommandResult } from './launch.js';
import { kindTitle } from '../kinds.js';
import { callerLabel, type Site } from './sites.js';
import { siteLabel } from './site-table.js';

/** Workflow-command escaping: data escapes %, CR, LF; property values also `:` and `,`. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::error` for sites that fail the gate, `::warning` for counted ones within budget. */
export function annotations(sites: Site[], gate: Gate): string[] {
  const out: string[] = [];
  for (const s of sites) {
    const status = gate.status.get(s.key);
    if (!s.file || (status !== 'over-budget' && status !== 'within-budget')) continue;
    const level = status === 'over-budget' ? 'error' : 'warning';
    // a transformed line would point at the wrong line of the source: the file alone
    const at = s.generated ? [] : [`line=${Math.max(1, s.line)}`, `col=${Math.max(1, s.column)}`];
    const props = [`file=${escapeProperty(s.file)}`, ...at, `title=${escapeProperty(`asyncdebug: ${kindTitle(s.kind)}`)}`];
    const via = s.caller ? `; called from ${callerLabel(s.caller, s.file)}` : '';
    out.push(`::${level} ${props.join(',')}::${escapeData(`${s.message} (${s.count}× at this site, worst ${formatDuration(s.worstMs)}${via}; ${s.threads.join(', ')})`)}`);
  }
  return out;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function stepSummary(sites: Site[], gate: Gate, result: CommandResult): string {
  const verdict = gate.failed ? '❌ findings over budget' : '✅ within budget';
  const lines = [`## asyncdebug: ${verdict}`, '', `${describeStatus(result)[0]!.toUpperCase()}${describeStatus(result).slice(1)}.`, ''];
  if (gate.kinds.length) {
    lines.push('| kind | counted sites | budget |', '|---|---|---|');
    for (const k of gate.kinds) lines.push(`| ${k.kind} | ${k.counted} | ${Number.isFinite(k.budget) ? k.budget : 'none'}${k.over ? ' ❌' : ''} |`);
    lines.push('');
  }
  const shown = sites.filter((s) => s.file !== null);
  if (shown.length) {
    lines.push('| status | kind | site | count | worst | total |', '|---|---|---|---|---|---|');
    for (const s of shown) lines.push(`| ${gate.status.get(s.key) ?? ''} | ${s.kind} | \`${cell(siteLabel(s))}\` | ${s.count} | ${formatDuration(s.worstMs)} | ${formatDuration(s.totalMs)} |`);
  } else {
    lines.push('No findings in application code.');
  }
  return lines.join('\n') + '\n';
}

export async function writeStepSummary(path: string, markdown: string): Promise<void> {
  await appendFile(path, markdown);
}
