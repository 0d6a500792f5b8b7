// The baseline: findings a team has accepted, keyed as sites are (sites.ts): kind + file (relative to the
// project root) + function + the caller (file and function), never a line, so edits above the code do not
// break it, and a new caller of an accepted helper is new. One site per line, sorted, so a change to it
// reads well in review. Format 1 files (before callers) are still read: each of their sites matches every
// caller of its function, until --update-baseline rewrites them.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './usage.js';
import { relativeFile, siteKey, type Site, type SiteCaller } from './sites.js';

export interface BaselineEntry {
  kind: string;
  file: string;
  function: string;
  /** Format 2: the site's caller; absent for a site called from outside the app's code. */
  caller?: SiteCaller;
}

export const BASELINE_FORMAT = 2;

/** The accepted sites, as keys. */
export interface Baseline {
  /** Format 2 entries: kind, file, function and caller. */
  sites: Set<string>;
  /** Format 1 entries: kind, file and function, whatever the caller. */
  anyCaller: Set<string>;
  format: number;
}

/** Whether the baseline accepts the site. */
export function inBaseline(b: Baseline, s: Site): boolean {
  return b.sites.has(s.key) || b.anyCaller.has(siteKey(s.kind, s.file, s.function, s.noStack));
}

function isCaller(c: unknown): c is SiteCaller {
  const o = c as Record<string, unknown>;
  return typeof o === 'object' && o !== null && typeof o.file === 'string' && typeof o.function === 'string';
}

function isEntry(e: unknown): e is BaselineEntry {
  const o = e as Record<string, unknown>;
  return typeof o === 'object' && o !== null && typeof o.kind === 'string' && typeof o.file === 'string' && typeof o.function === 'string' && (o.caller === undefined || isCaller(o.caller));
}

export interface BaselineRoots {
  /** The root this run's sites are relative to. */
  root: string;
  /** The root a format 1 file's paths are relative to: it was `--root`, or the directory ci ran in. */
  legacyRoot: string;
}

/** The baseline's sites. A missing or broken file is the user's to fix: UsageError. */
export async function readBaseline(path: string, roots?: BaselineRoots): Promise<Baseline> {
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
  const declared = (data as { asyncdebugBaseline?: unknown }).asyncdebugBaseline;
  const format = typeof declared === 'number' ? declared : 1;
  const baseline: Baseline = { sites: new Set(), anyCaller: new Set(), format };
  // A format 1 file's paths were relative to the root of its time; this run's root may be another (the
  // repository's, where it was the directory ci ran in).
  const rebase = (file: string) => (format < 2 && roots ? relativeFile(roots.root, resolve(roots.legacyRoot, file)) : file);
  sites.forEach((e, i) => {
    if (!isEntry(e)) throw new UsageError(`ci: the baseline ${path} has a bad entry at sites[${i}]: expected {"kind", "file", "function"} and optionally "caller": {"file", "function"}`);
    const file = rebase(e.file);
    if (format < 2) baseline.anyCaller.add(siteKey(e.kind, file, e.function));
    else baseline.sites.add(siteKey(e.kind, file, e.function, false, e.caller ?? null));
  });
  return baseline;
}

export function baselineEntries(sites: Site[]): BaselineEntry[] {
  const entries = sites
    .filter((s) => s.file !== null)
    .map((s): BaselineEntry => ({ kind: s.kind, file: s.file as string, function: s.function ?? '<anonymous>', ...(s.caller ? { caller: { file: s.caller.file, function: s.caller.function } } : {}) }));
  const unique = new Map(entries.map((e) => [siteKey(e.kind, e.file, e.function, false, e.caller ?? null), e]));
  const callerOrder = (e: BaselineEntry) => (e.caller ? `${e.caller.file} ${e.caller.function}` : '');
  return [...unique.values()].sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.file.localeCompare(b.file) || a.function.localeCompare(b.function) || callerOrder(a).localeCompare(callerOrder(b)),
  );
}

export function formatBaseline(entries: BaselineEntry[]): string {
  const lines = entries.map((e) => `    ${JSON.stringify({ kind: e.kind, file: e.file, function: e.function, ...(e.caller ? { caller: e.caller } : {}) })}`);
  return (
    '{\n' +
    `  "asyncdebugBaseline": ${BASELINE_FORMAT},\n` +
    '  "about": "Findings accepted by asyncdebug ci --baseline: kind, file (relative to the project root), function and the caller it was reached from (file and function); lines do not matter. Rewrite with --update-baseline.",\n' +
    `  "sites": [${lines.length ? `\n${lines.join(',\n')}\n  ` : ''}]\n` +
    '}\n'
  );
}

export async function writeBaseline(path: string, sites: Site[]): Promise<number> {
  const entries = baselineEntries(sites);
  await writeFile(path, formatBaseline(entries));
  return entries.length;
}
