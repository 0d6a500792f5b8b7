// Whether a block line is a block: its duration, and where the watchdog could tell what the thread did,
// its time on a CPU or asleep (not waiting for one), reached the threshold it was judged by. A final
// line under it withdraws a block reported while it went on (the gap turned out to be start-up or the
// machine's doing). Read from report files too: every field may be missing or of the wrong type.

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export interface BlockTimes {
  durationMs?: unknown;
  thresholdMs?: unknown;
  cpuMs?: unknown;
  sleepMs?: unknown;
}

/** True for a block line that met its threshold, and for one written before lines said their threshold. */
export function metThreshold(f: BlockTimes): boolean {
  const threshold = num(f.thresholdMs);
  if (threshold === null) return true;
  if ((num(f.durationMs) ?? 0) < threshold) return false;
  const cpu = num(f.cpuMs);
  const sleep = num(f.sleepMs);
  return cpu === null || sleep === null || cpu + sleep >= threshold;
}
