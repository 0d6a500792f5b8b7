// Which health readings become `health` lines of the JSON Lines report, and their text. The watchdog's
// json reporter calls this at the hub's health tick (about once a second) with every thread's health as
// read from shared memory: no work in the app's threads. Bounded: every reading of a thread is written
// for its first THIN_AFTER lines, then every 2nd for as many, every 4th … (a day-long thread writes a few
// thousand lines), and a process writes at most MAX_LINES in all (~3 MB), then none.
import { CONTRACT_VERSION } from '../finding.js';
import { HEALTH_KIND, type HealthRecord } from '../health-record.js';
import type { ThreadHealth } from '../thread-health.js';
import { formatDuration, threadName } from '../wording.js';

export const THIN_AFTER = 300;
export const MAX_LINES = 10_000;

interface ThreadState {
  /** `time` of the last reading seen (a thread publishes about once a second; the tick may see it twice). */
  seen: number;
  readings: number;
  written: number;
}

export interface HealthLines {
  /** The lines to write for these readings (none for a reading already seen or not yet taken). */
  take(threads: readonly ThreadHealth[]): HealthRecord[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function healthMessage(h: Pick<HealthRecord, 'threadId' | 'threadName' | 'loopDelay' | 'elu'>): string {
  const d = h.loopDelay;
  return `${threadName(h.threadId, h.threadName)}: loop delay p50 ${formatDuration(d.p50)}, p99 ${formatDuration(d.p99)}, max ${formatDuration(d.max)}; utilization ${Math.round(h.elu * 100)}%.`;
}

export function healthLines(maxLines = MAX_LINES, thinAfter = THIN_AFTER): HealthLines {
  const threads = new Map<number, ThreadState>();
  let total = 0;
  return {
    take(readings) {
      const out: HealthRecord[] = [];
      const live = new Set<number>();
      for (const h of readings) {
        live.add(h.threadId);
        // Not published yet: the slot holds only the stamp of the thread's start.
        if (h.activeMs === 0 && h.idleMs === 0) continue;
        let s = threads.get(h.threadId);
        if (!s) threads.set(h.threadId, (s = { seen: -1, readings: 0, written: 0 }));
        if (h.time === s.seen) continue;
        s.seen = h.time;
        const stride = 2 ** Math.floor(s.written / thinAfter);
        if (s.readings++ % stride !== 0 || total >= maxLines) continue;
        const record: HealthRecord = {
          v: CONTRACT_VERSION,
          id: `health-${h.threadId}-${total + 1}`,
          kind: HEALTH_KIND,
          time: h.time,
          pid: h.pid,
          threadId: h.threadId,
          ...(h.threadName ? { threadName: h.threadName } : {}),
          message: '',
          site: null,
          frames: [],
          loopDelay: { p50: round2(h.delay.p50), p99: round2(h.delay.p99), max: round2(h.delay.max) },
          elu: Math.round(h.elu * 1000) / 1000,
        };
        record.message = healthMessage(record);
        s.written++;
        total++;
        out.push(record);
      }
      // A thread whose slot was given to another is gone for good (thread ids are never reused).
      for (const id of threads.keys()) if (!live.has(id)) threads.delete(id);
      return out;
    },
  };
}
