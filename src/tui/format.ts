// Small text helpers for the UI: durations, sparklines, relative paths, the code frame of a site.
import { readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { codeFrameColumns } from '../code-frame.js';
import type { BlockFinding, Finding, Frame } from '../finding.js';
import { requestWords } from '../wording.js';

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 10_000) return `${Math.round(value / 1000)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 10) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${Math.round(n / 1024 ** 2)} MB`;
  return `${Math.round(n / 1024)} kB`;
}

export function clock(epochMs: number): string {
  const d = new Date(epochMs);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

export function elapsed(msSince: number): string {
  const s = Math.max(0, Math.floor(msSince / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` values as bars, scaled to the larger of their max and `floor` (so that a healthy
 * loop with 1 ms of delay stays flat rather than being stretched to full height). Pads on the left.
 */
export function sparkline(values: readonly number[], width: number, floor: number): string {
  const tail = values.slice(-width);
  const top = Math.max(floor, ...tail);
  const bars = tail.map((v) => BARS[Math.max(0, Math.min(BARS.length - 1, Math.round((Math.max(0, v) / top) * (BARS.length - 1))))]!);
  return ' '.repeat(Math.max(0, width - bars.length)) + bars.join('');
}

/** A path relative to `cwd` when it is below it; file: URLs and node: specifiers as they are. */
export function shortFile(file: string, cwd: string | undefined): string {
  if (!cwd || !file.startsWith('/')) return file;
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}

export function siteText(site: Frame | null, cwd?: string): string {
  if (!site) return '(no app frame)';
  const fn = site.function && site.function !== '<anonymous>' ? ` ${site.function}` : '';
  return `${shortFile(site.file, cwd)}:${site.line}${fn}`;
}

export function threadText(threadId: number, name?: string): string {
  const base = threadId === 0 ? 'main' : `worker ${threadId}`;
  return name ? `${base} "${name}"` : base;
}

/** The kind-specific number of a finding, for a list row: `251 ms`, `fs.readFileSync ×40`, `rejected`. */
/** At most `max` characters, an ellipsis where cut. */
function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function findingDetail(f: Finding): string {
  const x = f as Finding & Record<string, unknown>;
  const parts: string[] = [];
  if (typeof x.api === 'string') parts.push(x.api);
  if (typeof x.count === 'number' && f.kind === 'sync-io') parts.push(`×${x.count}`);
  if (typeof x.durationMs === 'number') parts.push(`${f.kind === 'block' && x.ongoing ? '≥' : ''}${ms(x.durationMs)}`);
  // The request before the site: the list cuts a row at the terminal's width from the right.
  const request = f.kind === 'block' ? (f as BlockFinding).request : undefined;
  if (request) parts.push(clip(requestWords(request, (f as BlockFinding).requests), 48));
  if (typeof x.settled === 'string') parts.push(x.settled);
  if (typeof x.queued === 'number') parts.push(`${x.queued} queued`);
  const err = x.error as { name?: unknown; message?: unknown } | undefined;
  if (err && typeof err.message === 'string') parts.push(`${typeof err.name === 'string' ? err.name : 'Error'}: ${err.message}`);
  return parts.join(' ');
}

const sources = new Map<string, { mtimeMs: number; text: string | null }>();

/** The source around a frame (@babel/code-frame, no color), or [] when the file cannot be read. */
export function codeFrame(frame: Frame, linesAround: number): string[] {
  if (!frame.file.startsWith('/')) return [];
  let text: string | null = null;
  try {
    const st = statSync(frame.file);
    const cached = sources.get(frame.file);
    if (cached && cached.mtimeMs === st.mtimeMs) text = cached.text;
    else {
      text = st.size > 4 * 1024 * 1024 ? null : readFileSync(frame.file, 'utf8');
      sources.set(frame.file, { mtimeMs: st.mtimeMs, text });
    }
  } catch {
    return [];
  }
  if (text === null) return [];
  try {
    return codeFrameColumns(text, { start: { line: frame.line, column: frame.column } }, { highlightCode: false, linesAbove: linesAround, linesBelow: linesAround })
      .split('\n')
      .map((l) => l.replace(/\t/g, '  '));
  } catch {
    return [];
  }
}
