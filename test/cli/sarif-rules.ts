// GitHub code scanning's ingestion rules for SARIF, written from GitHub's documentation of the SARIF it
// supports and the rules Sarif.Multitool checks with `--rule-kind Gh` (GH1001-GH1018, GH2012): what an
// upload must have, not what it may. Each problem is a JSON pointer and what is wrong there.
// `recommended` adds what the generic SARIF rules (`--rule-kind Sarif`) warn about when missing, and
// what GitHub shows when present (help in Markdown).
import type * as Sarif from 'sarif';

export interface RuleCheckOptions {
  recommended?: boolean;
}

/** Code scanning's default limits (GH1004): more are not shown. */
const LIMITS = { runs: 5, rules: 1000, results: 1000, locations: 10 };

function nonEmpty(s: unknown): boolean {
  return typeof s === 'string' && s.trim() !== '';
}

/** A relative reference, or an absolute file: URI under a checkout path given as a working directory (GH1005, GH1006). */
function uriProblem(uri: string, checkouts: string[]): string | null {
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(uri);
  if (!absolute) return null;
  if (!uri.startsWith('file:')) return `not a file path: ${uri}`;
  if (!checkouts.some((c) => uri.startsWith(c.endsWith('/') ? c : `${c}/`))) return `an absolute file URI outside any invocations[].workingDirectory: ${uri}`;
  return null;
}

function checkRule(rule: Sarif.ReportingDescriptor, at: string, o: RuleCheckOptions, problems: string[]): void {
  if (!nonEmpty(rule.id)) problems.push(`${at}: no id`);
  if (!nonEmpty(rule.shortDescription?.text)) problems.push(`${at}: no shortDescription.text`);
  if (!nonEmpty(rule.fullDescription?.text)) problems.push(`${at}: no fullDescription.text`);
  if (!rule.help) problems.push(`${at}: no help`);
  else if (!nonEmpty(rule.help.text)) problems.push(`${at}/help: no text`);
  if (o.recommended) {
    if (!nonEmpty(rule.help?.markdown)) problems.push(`${at}/help: no markdown`);
    if (!/^(\p{Lu}[\p{Ll}\p{Nd}]+)+$/u.test(rule.name ?? '')) problems.push(`${at}/name: not a Pascal identifier: ${rule.name}`);
  }
}

function checkResult(r: Sarif.Result, at: string, ruleIds: Set<string>, checkouts: string[], problems: string[]): void {
  if (!nonEmpty(r.message?.text)) problems.push(`${at}/message: no text`);
  else if (/\{\d+\}/.test(r.message.text!)) problems.push(`${at}/message: an unformatted placeholder (GH1007)`);
  if (!nonEmpty(r.ruleId) || !ruleIds.has(r.ruleId!)) problems.push(`${at}: ruleId ${r.ruleId} is not a rule of the driver`);
  if (!r.partialFingerprints || Object.keys(r.partialFingerprints).length === 0) problems.push(`${at}: no partialFingerprints`);
  if (!r.locations?.length) return void problems.push(`${at}: no locations`);
  if (r.locations.length > LIMITS.locations) problems.push(`${at}/locations: more than ${LIMITS.locations}`);
  r.locations.forEach((l, i) => {
    const p = l.physicalLocation;
    if (!p) return void problems.push(`${at}/locations/${i}: no physicalLocation`);
    if (!nonEmpty(p.artifactLocation?.uri)) problems.push(`${at}/locations/${i}/physicalLocation: no artifactLocation.uri`);
    else {
      const bad = uriProblem(p.artifactLocation!.uri!, checkouts);
      if (bad) problems.push(`${at}/locations/${i}/physicalLocation/artifactLocation/uri: ${bad}`);
    }
    if (!p.region) problems.push(`${at}/locations/${i}/physicalLocation: no region`);
    else if (!(typeof p.region.startLine === 'number' && p.region.startLine >= 1)) problems.push(`${at}/locations/${i}/physicalLocation/region: no startLine`);
  });
}

/** The problems GitHub's ingestion rules find in a log (empty: it is accepted). */
export function githubSarifProblems(log: Sarif.Log, o: RuleCheckOptions = {}): string[] {
  const problems: string[] = [];
  if (!/sarif-2\.1\.0(\.json)?$|sarif-schema-2\.1\.0\.json$/.test(log.$schema ?? '')) problems.push(`/$schema: not the final SARIF 2.1.0 schema: ${log.$schema}`);
  if (log.version !== '2.1.0') problems.push(`/version: ${log.version}`);
  if (!Array.isArray(log.runs)) return [...problems, '/runs: missing'];
  if (log.runs.length > LIMITS.runs) problems.push(`/runs: more than ${LIMITS.runs}`);
  log.runs.forEach((run, i) => {
    const at = `/runs/${i}`;
    const driver = run.tool?.driver;
    if (!driver) return void problems.push(`${at}/tool: no driver`);
    if (!nonEmpty(driver.name)) problems.push(`${at}/tool/driver: no name`);
    if (!Array.isArray(driver.rules)) problems.push(`${at}/tool/driver: no rules`);
    if (o.recommended && !nonEmpty(driver.version) && !nonEmpty(driver.semanticVersion)) problems.push(`${at}/tool/driver: no version`);
    const rules = driver.rules ?? [];
    if (rules.length > LIMITS.rules) problems.push(`${at}/tool/driver/rules: more than ${LIMITS.rules}`);
    rules.forEach((r, j) => checkRule(r, `${at}/tool/driver/rules/${j}`, o, problems));
    if (!Array.isArray(run.results)) return void problems.push(`${at}: no results`);
    if (run.results.length > LIMITS.results) problems.push(`${at}/results: more than ${LIMITS.results}`);
    const ruleIds = new Set(rules.map((r) => r.id));
    const checkouts = (run.invocations ?? []).map((inv) => inv.workingDirectory?.uri).filter((u): u is string => typeof u === 'string');
    run.results.forEach((r, j) => checkResult(r, `${at}/results/${j}`, ruleIds, checkouts, problems));
  });
  return problems;
}
