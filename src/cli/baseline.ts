// The baseline: findings a team has accepted, keyed by kind + file (relative to the project root) +
// function, never the line, so edits above the code do not break it. One site per line, sorted, so a
// change to it reads well in review.
import { readFile, writeFile } from 'node:fs/promises';
import { UsageError } from './usage.js';
import { siteKey, type Site } from './sites.js';

export interface BaselineEntry {
  kind: string;
  file: string;
  function: string;
}

export const BASELINE_FORMAT = 1;

function isEntry(e: unknown): e is BaselineEntry {
  const o = e as Record<string, unknown>;
  return typeof o === 'object' && o !== null && typeof o.kind === 'string' && typeof o.file === 'string' && typeof o.function === 'string';
}

/** The keys of the baseline's sites. A missing or broken file is the user's to fix: UsageError. */
export async function readBaseline(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`ci: the baseline ${path} does not exist; create it with --update-baseline`);
    throw new UsageError(`ci: cannot read the baseline ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`ci: the baseline ${path} is not valid JSON (${(err as Error).message}); fix it or rewrite it with --update-baseline`);
  }
  const sites = (data as { sites?: unknown })?.sites;
  if (!Array.isArray(sites)) throw new UsageError(`ci: the baseline ${path} has no "sites" list; rewrite it with --update-baseline`);
  const keys = new Set<string>();
  sites.forEach((e, i) => {
    if (!isEntry(e)) throw new UsageError(`ci: the baseline ${path} has a bad entry at sites[${i}]: expected {"kind", "file", "function"}`);
    keys.add(siteKey(e.kind, e.file, e.function));
  });
  return keys;
}

export function baselineEntries(sites: Site[]): BaselineEntry[] {
  const entries = sites
    .filter((s) => s.file !== null)
    .map((s) => ({ kind: s.kind, file: s.file as string, function: s.function ?? '<anonymous>' }));
  const unique = new Map(entries.map((e) => [siteKey(e.kind, e.file, e.function), e]));
  return [...unique.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.file.localeCompare(b.file) || a.function.localeCompare(b.function));
}

export function formatBaseline(entries: BaselineEntry[]): string {
  const lines = entries.map((e) => `    ${JSON.stringify({ kind: e.kind, file: e.file, function: e.function })}`);
  return (
    '{\n' +
    `  "asyncdebugBaseline": ${BASELINE_FORMAT},\n` +
    '  "about": "Findings accepted by asyncdebug ci --baseline: kind, file (relative to the project root) and function; lines do not matter. Rewrite with --update-baseline.",\n' +
    `  "sites": [${lines.length ? `\n${lines.join(',\n')}\n  ` : ''}]\n` +
    '}\n'
  );
}

export async function writeBaseline(path: string, sites: Site[]): Promise<number> {
  const entries = baselineEntries(sites);
  await writeFile(path, formatBaseline(entries));
  return entries.length;
}
