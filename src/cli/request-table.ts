// The blocks of a run grouped by the HTTP request they served (a block's `request`, or each of its
// `requests` with its part): which routes hold the loop, apart from which lines do.
import type { ChalkInstance } from 'chalk';
import { isBlockRequest, type BlockRequest } from '../finding.js';
import { formatDuration } from '../wording.js';
import { safeText } from '../safe-text.js';
import type { ReportLine } from './report-files.js';
import { isWithdrawn } from './sites.js';
import { columns } from './site-table.js';

export interface RequestRow {
  /** `GET /users/:id`. */
  request: string;
  /** Where the route came from: the framework's router, or the URL's path. */
  routeFrom: 'framework' | 'path';
  blocks: number;
  worstMs: number;
  totalMs: number;
}

/** Rows shown at most; the rest are summed in one line. */
const SHOWN = 10;

export function groupRequests(findings: readonly ReportLine[]): RequestRow[] {
  const rows = new Map<string, RequestRow>();
  const add = (r: BlockRequest, ms: number) => {
    const request = `${r.method} ${r.route}`;
    let row = rows.get(request);
    if (!row) rows.set(request, (row = { request, routeFrom: r.routeFrom === 'framework' ? 'framework' : 'path', blocks: 0, worstMs: 0, totalMs: 0 }));
    row.blocks++;
    row.worstMs = Math.max(row.worstMs, ms);
    row.totalMs += ms;
  };
  for (const f of findings) {
    if (f.kind !== 'block' || isWithdrawn(f) || !isBlockRequest(f.request)) continue;
    const ms = typeof f.durationMs === 'number' ? f.durationMs : 0;
    const parts = Array.isArray(f.requests) ? f.requests.filter(isBlockRequest) : [];
    if (parts.length === 0) {
      add(f.request, ms);
      continue;
    }
    // A block counts once per route it served, with the parts of that route's requests.
    const byRoute = new Map<string, { r: BlockRequest; ms: number }>();
    for (const p of parts) {
      const key = `${p.method} ${p.route}`;
      const partMs = typeof (p as { durationMs?: unknown }).durationMs === 'number' ? (p as { durationMs: number }).durationMs : 0;
      const seen = byRoute.get(key);
      if (seen) seen.ms += partMs;
      else byRoute.set(key, { r: p, ms: partMs });
    }
    for (const { r, ms: routeMs } of byRoute.values()) add(r, routeMs);
  }
  return [...rows.values()].sort((a, b) => b.totalMs - a.totalMs || b.blocks - a.blocks || a.request.localeCompare(b.request));
}

/** The table under the sites' table; empty when no block named a request. */
export function requestTable(rows: readonly RequestRow[], c: ChalkInstance): string {
  if (rows.length === 0) return '';
  const table: string[][] = [['request', 'blocks', 'worst', 'total'].map((h) => c.dim(h))];
  for (const r of rows.slice(0, SHOWN)) table.push([safeText(r.request, true) + (r.routeFrom === 'path' ? c.dim(' (path)') : ''), String(r.blocks), formatDuration(r.worstMs), formatDuration(r.totalMs)]);
  const rest = rows.slice(SHOWN);
  const more = rest.length ? `  … ${rest.length} more request${rest.length === 1 ? '' : 's'}, ${rest.reduce((n, r) => n + r.blocks, 0)} blocks\n` : '';
  return `${c.bold('blocks by request')} ${c.dim('(the route the blocking code served)')}:\n${columns(table).map((l) => `  ${l}`).join('\n')}\n${more}`;
}
