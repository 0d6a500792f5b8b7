// One finding as the page shows it when its mark is clicked: the facts in words, its stacks, and a
// block's profile by call path. Fields this version does not know (a later agent's) are still shown:
// as facts in words, or as a stack when they are a list of frames.
import type { ReportLine } from '../cli/report-files.js';
import type { Mark, ProfilePath, StackSection } from './model.js';
import { Tables, isFrame, isFrameList, type FrameLike } from './tables.js';
import { cleanLine, cleanText, fieldLabel } from './text.js';
import { formatDuration } from '../wording.js';
import { isBlockRequest } from '../finding.js';

/** Fields every line has (docs/report-format.md), shown elsewhere on the page. */
const ENVELOPE = new Set(['v', 'id', 'kind', 'time', 'pid', 'threadId', 'threadName', 'message', 'site', 'frames']);

const DURATION_LABEL: Record<string, string> = {
  block: 'duration',
  'sync-io': 'total at this site',
  'atomics-wait': 'total at this site',
  'threadpool-saturation': 'worst wait',
  'large-message': 'clone time',
};

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** A value in words: frames as `file:line:column function`, objects as `key: value` pairs; bounded. */
function describe(value: unknown, tables: Tables, depth = 0): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return cleanLine(value, 500);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (depth > 3) return '…';
  if (isFrame(value)) return tables.frameText(value);
  if (Array.isArray(value)) return value.slice(0, 10).map((v) => describe(v, tables, depth + 1)).join('; ') + (value.length > 10 ? `; … ${value.length - 10} more` : '');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .slice(0, 12)
      .map(([k, v]) => `${fieldLabel(k)}: ${describe(v, tables, depth + 1)}`)
      .join(', ');
  }
  return '';
}

function sameFrame(a: unknown, b: unknown): boolean {
  return isFrame(a) && isFrame(b) && a.file === b.file && a.line === b.line && a.column === b.column;
}

/**
 * A block's profile by call path, outermost frame first. An entry that carries its own call path
 * (`frames`, innermost first like every stack of the contract) gives it; without one, the heaviest
 * site's path is the block's stack, and another site stands alone (its callers were not recorded).
 */
export function callPaths(f: ReportLine, tables: Tables): ProfilePath[] {
  const entries = Array.isArray(f.profile) ? (f.profile as unknown[]) : [];
  const paths: ProfilePath[] = [];
  for (const e of entries.slice(0, 50)) {
    if (typeof e !== 'object' || e === null) continue;
    const entry = e as Record<string, unknown>;
    const own = isFrameList(entry.frames) ? entry.frames : null;
    const stack: FrameLike[] = own ?? (sameFrame(entry.site, f.site) && f.frames.length > 0 ? f.frames : isFrame(entry.site) ? [entry.site] : []);
    if (stack.length === 0) continue;
    const path = stack.slice(0, 64).map((fr) => tables.frame(fr)).filter((r) => r >= 0).reverse();
    paths.push({ path, share: Math.max(0, Math.min(1, num(entry.share) ?? 0)), samples: num(entry.samples) });
  }
  if (paths.length === 0 && f.kind === 'block' && f.frames.length > 0) {
    paths.push({ path: f.frames.slice(0, 64).map((fr) => tables.frame(fr)).filter((r) => r >= 0).reverse(), share: 1, samples: num(f.samples) });
  }
  return paths;
}

/** The request a finding belonged to: a block's `request` (method and route), else debug mode's blocking handler. */
function requestOf(f: ReportLine): string | null {
  const r = f.request;
  if (isBlockRequest(r)) return cleanLine(`${r.method} ${r.route}`, 300);
  if (typeof r === 'string') return cleanLine(r, 300);
  for (const key of ['callback', 'origin'] as const) {
    const c = f[key] as { type?: unknown; api?: unknown } | undefined;
    if (c && c.type === 'http-request' && typeof c.api === 'string') return cleanLine(c.api, 300);
  }
  return null;
}

type Facts = [string, string][];

/** The facts and extra stacks of the fields past the envelope, in the line's own order. */
function factsOf(f: ReportLine, tables: Tables): { facts: Facts; more: StackSection[] } {
  const facts: Facts = [];
  const more: StackSection[] = [];
  const addStack = (title: string, frames: unknown) => {
    const stack = tables.stack(frames);
    if (stack >= 0 && !more.some((m) => m.stack === stack)) more.push({ title, stack });
  };
  for (const [key, value] of Object.entries(f)) {
    if (ENVELOPE.has(key) || key === 'profile' || value === undefined) continue;
    const n = num(value);
    if (key === 'durationMs' && n !== null) facts.push([DURATION_LABEL[f.kind] ?? 'duration', formatDuration(n)]);
    else if (key === 'maxMs' && n !== null) facts.push(['slowest call', formatDuration(n)]);
    else if (key === 'bytes' && n !== null) facts.push(['size', `~${bytes(n)}`]);
    else if (key === 'ongoing') {
      if (value === true) facts.push(['still going on', 'yes: the process ended during it (this is its last known state)']);
    }
    else if (key === 'samples' && n !== null) facts.push(['stack reads', String(n)]);
    else if (key === 'callback' && typeof value === 'object' && value !== null) {
      const c = value as Record<string, unknown>;
      facts.push(['callback', [c.type, c.api].filter((x) => typeof x === 'string').map((x) => cleanLine(x, 300)).join(' · ')]);
      addStack('Where the callback was scheduled', c.scheduledAt);
    } else if (key === 'origin' && typeof value === 'object' && value !== null) {
      const o = value as Record<string, unknown>;
      facts.push(['origin', [o.type, o.api].filter((x) => typeof x === 'string').map((x) => cleanLine(x, 300)).join(' · ')]);
      if (isFrame(o.after)) facts.push(['last line before', tables.frameText(o.after)]);
      addStack(o.type === 'sync-api' || o.type === 'module-load' || o.type === 'native' ? 'Origin' : 'Where the callback was scheduled', o.frames);
    } else if (key === 'request' && isBlockRequest(value)) {
      facts.push(['request', [`${value.method} ${value.route}`, value.routeFrom === 'path' ? '(the path: no router matched)' : '', typeof value.traceId === 'string' ? `trace ${value.traceId} span ${String(value.spanId)}` : ''].filter(Boolean).map((x) => cleanLine(x, 300)).join(' · ')]);
    } else if (key === 'requests' && Array.isArray(value)) {
      const parts = value.filter(isBlockRequest);
      facts.push(['requests in it', parts.map((p) => cleanLine(`${p.method} ${p.route} ${formatDuration(num((p as { durationMs?: unknown }).durationMs) ?? 0)}`, 300)).join(', ')]);
    } else if (isFrameList(value)) addStack(fieldLabel(key).replace(/^./, (c) => c.toUpperCase()), value);
    else facts.push([fieldLabel(key), describe(value, tables)]);
  }
  return { facts, more };
}

/** The finding as a mark of its thread's timeline (`siteRow` and `code` are filled in by the builder). */
export function toMark(f: ReportLine, thread: number, tables: Tables): Mark {
  const { facts, more } = factsOf(f, tables);
  const duration = num(f.durationMs) ?? 0;
  return {
    id: cleanLine(f.id, 200),
    kind: cleanLine(f.kind, 60),
    thread,
    t: num(f.time) ?? 0,
    d: f.kind === 'block' ? Math.max(0, duration) : 0,
    ongoing: f.ongoing === true,
    message: cleanText(f.message, 2000),
    site: tables.frame(f.site),
    siteRow: -1,
    stack: tables.stack(f.frames),
    code: -1,
    facts,
    profile: f.kind === 'block' ? callPaths(f, tables) : [],
    more,
    request: requestOf(f),
  };
}
