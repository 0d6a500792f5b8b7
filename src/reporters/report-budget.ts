// How much of a flood the JSON Lines report keeps, per site (a kind, a thread, a file and line): the
// first FULL_PER_SITE findings there in full, then one `aggregate` record per site (count, total and worst
// duration), rewritten under the same id as it grows: at counts 1, 2, 4, 8 … and otherwise at most once per
// AGGREGATE_EVERY_MS. A block that goes on for LONG_MS or more is always written in full (an infinite loop
// keeps its `ongoing` lines), and a finding already written in full keeps its later lines (superseding).
// Pure: the caller gives the clock and writes what comes back.
import type { AggregateRecord, Finding } from '../finding.js';
import { metThreshold, type BlockTimes } from '../finding.js';

export type { AggregateRecord } from '../finding.js';

export const FULL_PER_SITE = 10;
export const AGGREGATE_EVERY_MS = 1000;
const LONG_MS = 1000;
/** Sites tracked at most; past it, findings at new sites are written in full (the byte cap still holds). */
const MAX_SITES = 50_000;

interface SiteState {
  full: number;
  /** Ids written in full whose later lines must follow (an ongoing block, a rewritten site). */
  open: Set<string>;
  agg: AggregateRecord | null;
  written: number;
  lastWrite: number;
  dirty: boolean;
}

export type ReportRecord = Finding | AggregateRecord;

const isPowerOfTwo = (n: number) => (n & (n - 1)) === 0;

/** Module loading after start-up is counted apart from the other findings of its kind (src/cli/sites.ts). */
function phaseOf(f: Finding): 'module-load' | undefined {
  return (f as { phase?: unknown }).phase === 'module-load' ? 'module-load' : undefined;
}

function siteKey(f: Finding): string {
  const at = f.site ? `${f.site.file}:${f.site.line}` : '(no site)';
  return `${f.kind}\u0000${f.threadId}\u0000${at}\u0000${phaseOf(f) ?? ''}`;
}

function durationOf(f: Finding): number {
  const d = (f as { durationMs?: unknown }).durationMs;
  return typeof d === 'number' && Number.isFinite(d) ? d : 0;
}

function aggregateMessage(a: AggregateRecord): string {
  const at = a.site ? `${a.site.function} (${a.site.file}:${a.site.line})` : 'no application site';
  const timed = a.totalMs > 0 ? `, ${Math.round(a.totalMs)} ms in all, the worst ${Math.round(a.worstMs)} ms` : '';
  return `${a.count} more ${a.of} findings at ${at} after the first ${FULL_PER_SITE}, written in full${timed}.`;
}

export interface SiteBudget {
  /** The records to write for this finding now (none, the finding, or its site's aggregate). */
  take(f: Finding, now: number): ReportRecord[];
  /** Aggregates changed since they were last written (for a timer, and at exit). */
  pending(now: number): AggregateRecord[];
  /** Whether an aggregate waits to be written. */
  hasPending(): boolean;
}

export function createSiteBudget(full = FULL_PER_SITE, everyMs = AGGREGATE_EVERY_MS): SiteBudget {
  const sites = new Map<string, SiteState>();
  let counter = 0;
  let dirty = 0;

  const written = (s: SiteState, now: number): AggregateRecord => {
    const a = s.agg as AggregateRecord;
    a.message = aggregateMessage(a);
    s.written = a.count;
    s.lastWrite = now;
    if (s.dirty) dirty--;
    s.dirty = false;
    return { ...a };
  };

  return {
    take(f, now) {
      if (f.kind === 'summary') return [f];
      const key = siteKey(f);
      let s = sites.get(key);
      if (!s) {
        if (sites.size >= MAX_SITES) return [f];
        s = { full: 0, open: new Set(), agg: null, written: 0, lastWrite: 0, dirty: false };
        sites.set(key, s);
      }
      const block = f.kind === 'block';
      const ongoing = block && (f as { ongoing?: unknown }).ongoing === true;
      if (s.open.has(f.id)) {
        if (block && !ongoing) s.open.delete(f.id);
        return [f];
      }
      if (s.full < full || (ongoing && durationOf(f) >= LONG_MS)) {
        if (s.full < full) s.full++;
        if (!block || ongoing) s.open.add(f.id);
        return [f];
      }
      // Past the full records: a short block is counted when it ends, unless its end withdrew it.
      if (ongoing || (block && !metThreshold(f as BlockTimes))) return [];
      const d = durationOf(f);
      if (!s.agg) {
        s.agg = {
          v: 1, id: `aggregate-${f.kind}-${f.threadId}-${++counter}`, kind: 'aggregate', of: f.kind, time: f.time, pid: f.pid, threadId: f.threadId,
          ...(f.threadName ? { threadName: f.threadName } : {}),
          message: '', site: f.site, frames: f.site ? [f.site] : [], count: 0, totalMs: 0, worstMs: 0, lastTime: f.time,
          ...(phaseOf(f) ? { phase: phaseOf(f) } : {}),
        };
      }
      const a = s.agg;
      a.count++;
      a.totalMs = Math.round((a.totalMs + d) * 100) / 100;
      a.worstMs = Math.max(a.worstMs, d);
      a.lastTime = f.time;
      if (isPowerOfTwo(a.count) || now - s.lastWrite >= everyMs) return [written(s, now)];
      if (!s.dirty) {
        s.dirty = true;
        dirty++;
      }
      return [];
    },
    pending(now) {
      if (dirty === 0) return [];
      const out: AggregateRecord[] = [];
      for (const s of sites.values()) if (s.dirty) out.push(written(s, now));
      return out;
    },
    hasPending: () => dirty > 0,
  };
}
