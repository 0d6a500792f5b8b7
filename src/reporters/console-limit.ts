// How much of a flood the console shows. Per site (a kind, a thread, a file and line): the first
// LINES_PER_SITE findings, then only a count, said as "N more at this site" at most once per
// MORE_EVERY_MS and at the thread's exit. Over all sites: at most LINES_PER_MINUTE finding lines a minute,
// then one line saying how many were not shown. The summary's counts stay exact: nothing here touches them.
// Dependency-free (the plain console lines run in app threads too); the caller gives the clock.

export const LINES_PER_SITE = 5;
export const MORE_EVERY_MS = 10_000;
export const LINES_PER_MINUTE = 120;
/** Sites tracked at most; past it, new sites are only held by the per-minute limit. */
const MAX_SITES = 20_000;

/** What was not shown at one site since it was last said. */
export interface Folded {
  kind: string;
  pid: number;
  threadId: number;
  /** The site as the reporter shows it. */
  at: string;
  /** The thread as the reporter names it. */
  thread: string;
  count: number;
  totalMs: number;
  worstMs: number;
}

interface SiteState {
  shown: number;
  folded: Folded | null;
  lastSaid: number;
}

export interface Occurrence {
  kind: string;
  pid: number;
  threadId: number;
  at: string;
  thread: string;
  durationMs: number;
}

export interface ConsoleLimit {
  /**
   * A new finding at `key`: true when its lines may be shown; false when it was counted instead (and
   * `due` then says whether a count is to be shown now).
   */
  admit(key: string, o: Occurrence, now: number): boolean;
  /** The count to show for `key` now, if one is due (at most once per MORE_EVERY_MS). */
  due(key: string, now: number): Folded | null;
  /** At a thread's exit: every count of its sites not yet shown. */
  atThreadExit(pid: number, threadId: number): Folded[];
  /** Whether one more finding line may be shown now over all sites (the per-minute limit). */
  line(now: number): boolean;
  /** Finding lines held back by the per-minute limit since this was last asked (0 when none). */
  hidden(now: number, force?: boolean): number;
}

export function createConsoleLimit(perSite = LINES_PER_SITE, everyMs = MORE_EVERY_MS, perMinute = LINES_PER_MINUTE): ConsoleLimit {
  const sites = new Map<string, SiteState>();
  let windowStart = -Infinity;
  let windowLines = 0;
  let held = 0;
  let heldSaidAt = 0;

  const take = (s: SiteState): Folded | null => {
    const f = s.folded;
    s.folded = null;
    return f;
  };

  return {
    admit(key, o, now) {
      let s = sites.get(key);
      if (!s) {
        if (sites.size >= MAX_SITES) return true;
        s = { shown: 0, folded: null, lastSaid: now };
        sites.set(key, s);
      }
      if (s.shown < perSite) {
        s.shown++;
        return true;
      }
      const f = (s.folded ??= { kind: o.kind, pid: o.pid, threadId: o.threadId, at: o.at, thread: o.thread, count: 0, totalMs: 0, worstMs: 0 });
      f.count++;
      f.totalMs += o.durationMs;
      f.worstMs = Math.max(f.worstMs, o.durationMs);
      return false;
    },
    due(key, now) {
      const s = sites.get(key);
      if (!s?.folded || now - s.lastSaid < everyMs) return null;
      s.lastSaid = now;
      return take(s);
    },
    atThreadExit(pid, threadId) {
      const out: Folded[] = [];
      for (const s of sites.values()) {
        if (s.folded && s.folded.pid === pid && s.folded.threadId === threadId) out.push(take(s) as Folded);
      }
      return out;
    },
    line(now) {
      if (now - windowStart >= 60_000) {
        windowStart = now;
        windowLines = 0;
      }
      if (windowLines < perMinute) {
        windowLines++;
        return true;
      }
      held++;
      return false;
    },
    hidden(now, force = false) {
      if (held === 0 || (!force && now - heldSaidAt < 60_000)) return 0;
      const n = held;
      held = 0;
      heldSaidAt = now;
      return n;
    },
  };
}
