// The sync-I/O detector's policy: which calls are timed (sampling), how calls add up per site, and when
// a site's finding is written (again).
//
// Cost: a wrapped call that is not sampled does one branch and one counter increment. The sampled calls
// (detectors/sampling.ts: per API the first 16, then every power-of-two-th and every 1024th) are timed
// and have their site read; the calls in between are attributed to the next sampled call's site
// (`estimated: true` on that finding). Strict mode reads every call's site.
import { threadId } from 'node:worker_threads';
import { makeFinding, type Finding, type Frame, type OtherFinding } from '../../finding.js';
import { siteOf } from '../../frames/frames.js';
import { formatDuration } from '../../wording.js';

export interface SiteStats {
  id: string;
  api: string;
  kind: 'sync-io' | 'atomics-wait';
  site: Frame | null;
  frames: Frame[];
  /** A module loader's calls while loading the app's modules (attribution.ts), at the loader's frame. */
  moduleLoad: boolean;
  time: number;
  count: number;
  totalMs: number;
  maxMs: number;
  estimated: boolean;
  reported: boolean;
  reportedCount: number;
  nextReportAt: number;
}

/** Per API: its calls, and those not sampled yet (attributed to the next sampled call's site). */
export interface ApiState {
  api: string;
  calls: number;
  pending: number;
  /** Sampled calls that were no finding of the app's and gave their place in the sampling back. */
  givenBack: number;
  /** Where the last sampled call was: the calls still pending at exit are attributed there. */
  last: SiteStats | null;
}

export interface SiteBook {
  /** Adds a sampled call (and the calls pending before it) to its site (by default the app's frame). */
  record(state: ApiState, frames: Frame[], durationMs: number, at: number, site?: Frame | null, moduleLoad?: boolean): SiteStats;
  /** Writes the site's finding when it is due: first at ASYNC_DEBUG_SYNC_MIN_MS, then at each doubling. */
  reportIfDue(s: SiteStats): void;
  report(s: SiteStats): void;
  /** At exit: pending calls to their last site, and final counts where a written line is behind. */
  flush(states: Iterable<ApiState>): void;
}

export function createSiteBook(minMs: number, emit: (f: Finding) => void): SiteBook {
  const sites = new Map<string, SiteStats>();
  let counter = 0;

  function addCalls(s: SiteStats, weight: number, durationMs: number): void {
    if (weight > 1) s.estimated = true;
    s.count += weight;
    s.totalMs += durationMs * weight;
    s.maxMs = Math.max(s.maxMs, durationMs);
  }

  function report(s: SiteStats): void {
    s.reported = true;
    s.reportedCount = s.count;
    const kindWord = s.kind === 'atomics-wait' ? 'Atomics.wait blocked the loop' : `${s.api} ran on the loop`;
    const why = s.moduleLoad ? ", called by a module loader while it loaded the app's modules (not the importing line)" : '';
    emit(makeFinding<OtherFinding>(s.kind, {
      id: s.id,
      time: s.time,
      message: `${kindWord} ${s.count} time${s.count === 1 ? '' : 's'} at this site${why}, ${formatDuration(s.totalMs)} in all.`,
      site: s.site,
      frames: s.frames,
      api: s.api,
      durationMs: Math.round(s.totalMs * 100) / 100,
      maxMs: Math.round(s.maxMs * 100) / 100,
      count: s.count,
      ...(s.estimated ? { estimated: true } : {}),
      ...(s.moduleLoad ? { phase: 'module-load' } : {}),
    }));
  }

  return {
    record(state, frames, durationMs, at, site = siteOf(frames), moduleLoad = false) {
      const where = site ? `${site.file}:${site.line}:${site.column}` : frames[0] ? `${frames[0].file}:${frames[0].line}` : '?';
      const key = `${state.api}${moduleLoad ? ' module-load' : ''} ${where}`;
      let s = sites.get(key);
      if (!s) {
        const atomics = state.api === 'Atomics.wait';
        s = {
          id: `${atomics ? 'atomics' : 'sync'}-${threadId}-${++counter}`,
          api: state.api,
          kind: atomics ? 'atomics-wait' : 'sync-io',
          site,
          frames,
          moduleLoad,
          time: at,
          count: 0,
          totalMs: 0,
          maxMs: 0,
          estimated: false,
          reported: false,
          reportedCount: 0,
          nextReportAt: 2,
        };
        sites.set(key, s);
      }
      addCalls(s, 1 + state.pending, durationMs);
      state.pending = 0;
      state.last = s;
      return s;
    },
    reportIfDue(s) {
      if (!s.reported ? s.maxMs >= minMs : s.count >= s.nextReportAt) {
        if (s.reported) s.nextReportAt = s.count * 2;
        report(s);
      }
    },
    report,
    flush(states) {
      for (const state of states) {
        if (state.pending > 0 && state.last) addCalls(state.last, state.pending, state.last.totalMs / state.last.count);
        state.pending = 0;
      }
      for (const s of sites.values()) if (s.reported && s.count !== s.reportedCount) report(s);
    },
  };
}
