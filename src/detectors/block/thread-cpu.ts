// What a thread tells the watchdog about itself so that a gap of its loop can be split into what the
// thread did (on a CPU, asleep) and what the machine did to it (kept waiting for a CPU): its kernel
// thread id, once (the watchdog reads that thread's scheduler statistics, cpu-split.ts), and the CPU
// time it had used at each heartbeat. Both are taken from functions copied when the agent loads (original.ts),
// before the app can replace them.
import { hasNodeFlag } from '../../node-options.js';
import { closeSync, openSync, readlinkSync as readlink, readSync } from '../../original.js';

const threadCpuUsage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.bind(process);
const processCpuUsage = process.cpuUsage.bind(process);

/**
 * This thread's kernel thread id: Linux names it in `/proc/thread-self` (`<pid>/task/<tid>`); 0
 * elsewhere, or when /proc is not mounted.
 */
export function kernelThreadId(): number {
  if (process.platform !== 'linux') return 0;
  try {
    const m = /\/task\/(\d+)$/.exec(readlink('/proc/thread-self'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * The CPU time this thread has used, ms; -1 where it cannot be said. Node 23.9+ and the later 22.x
 * lines have `process.threadCpuUsage` (getrusage of the thread, about half a microsecond). Node 20 has
 * not: there it is the first field of `/proc/thread-self/schedstat` (the same kernel total, in ns),
 * opened, read and closed at each call (a few microseconds, once per heartbeat: 100 a second on a busy
 * loop, one a second at rest). The descriptor is not kept: a worker may end without saying so, and a
 * descriptor left open per ended worker would leak. Without the stamp, a block is certain only a
 * threshold after the watchdog's first reading of the thread (about 100 ms later).
 *
 * Both totals add a running thread's time only at each scheduler tick (every 4 ms at HZ=250), unless
 * something asks for the whole process's: Linux then brings the calling thread's total up to date
 * first (since 3.18). So that is asked first (1-2.5 us, with 7 to 71 threads): the stamp is then the
 * thread's time at the beat, and the watchdog need not allow for a tick (cpu-split.ts).
 */
export function threadCpuMs(): number {
  try {
    processCpuUsage();
  } catch {
    // the stamp may lag by a tick; the watchdog's bound allows for a little of that
  }
  if (threadCpuUsage) {
    try {
      const u = threadCpuUsage();
      return (u.user + u.system) / 1000;
    } catch {
      return -1;
    }
  }
  return schedstatCpuMs();
}

/** One buffer per thread (each thread loads its own copy of the agent): `<ns on CPU> <ns waiting> <slices>`. */
const statBuffer = Buffer.alloc(80);
/**
 * Under `--trace-sync-io` Node prints a warning with a stack for every sync call after the first tick,
 * these reads too: the app's output is not the agent's to add to, so there are no stamps then.
 */
let schedstatFails = process.platform !== 'linux' || hasNodeFlag('--trace-sync-io');

function schedstatCpuMs(): number {
  if (schedstatFails) return -1;
  let fd = -1;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
    const n = readSync(fd, statBuffer, 0, statBuffer.length, 0);
    const space = statBuffer.indexOf(32);
    const ns = Number(statBuffer.toString('latin1', 0, space > 0 && space < n ? space : n));
    return Number.isFinite(ns) ? ns / 1e6 : -1;
  } catch {
    // no /proc, or no schedstat (a kernel without CONFIG_SCHEDSTATS): never asked again
    schedstatFails = true;
    return -1;
  } finally {
    if (fd >= 0) {
      try {
        closeSync(fd);
      } catch {
        // nothing to do
      }
    }
  }
}
