// CPU time of all the process's threads, for the workloads to report next to their wall time: on a shared
// box a round's wall time swings +-30 % with the neighbours' load, its CPU time much less.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Ms of CPU used so far by every thread of this process, those that have exited included (workers).
 * getrusage(RUSAGE_SELF) via process.cpuUsage(): the same utime + stime as /proc/self/stat, but in us
 * rather than 10 ms ticks, which would be a few % of a 200 ms loop.
 */
export function cpuMs() {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** This thread's id in /proc (a worker's own tid, to tell the app's threads from the rest). */
export function ownTid() {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null; // not Linux
  }
}

/**
 * Ms of CPU per live thread, { tid: ms }, from /proc/self/task/<tid>/schedstat (ns of run time) or, where
 * that is missing, utime + stime of /proc/self/task/<tid>/stat (10 ms ticks). {} where there is no /proc.
 */
export function threadCpuMs() {
  const out = {};
  let tids;
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      out[tid] = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out[tid] = ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime (fields 14, 15), USER_HZ 100
      } catch {
        // the thread exited between readdir and read
      }
    }
  }
  return out;
}

/**
 * Where the CPU between two threadCpuMs() snapshots went: the main thread, the app's own threads (the
 * tids given), and every other thread (V8's and libuv's, and a preloaded tool's own). Threads born inside
 * the window count from 0; those that died in it are missing.
 */
export function cpuByGroup(before, after, appTids = []) {
  const pid = String(process.pid);
  const app = new Set(appTids.map(String));
  const groups = { main: 0, app: 0, other: 0, otherThreads: 0, otherMax: 0 };
  for (const [tid, ms] of Object.entries(after)) {
    const d = ms - (before[tid] ?? 0);
    if (tid === pid) groups.main += d;
    else if (app.has(tid)) groups.app += d;
    else {
      groups.other += d;
      groups.otherThreads++;
      groups.otherMax = Math.max(groups.otherMax, d); // one busy thread (a watchdog) or many a little
    }
  }
  return groups;
}
