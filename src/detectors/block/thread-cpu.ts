// What a thread tells the watchdog about itself so that a gap of its loop can be split into what the
// thread did (on a CPU, asleep) and what the machine did to it (kept waiting for a CPU): its kernel
// thread id, once (the watchdog reads that thread's scheduler statistics, cpu-split.ts), and the CPU
// time it had used at each heartbeat. Both are taken from functions copied when this module loads,
// before the app can replace them.
import fs from 'node:fs';

const readlink = fs.readlinkSync;
const threadCpuUsage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.bind(process);

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
 * The CPU time this thread has used, ms; -1 where Node cannot say (`process.threadCpuUsage`: Node 23.9+ and
 * the later 22.x lines, not 20). One call is about half a microsecond (getrusage of the thread), once per heartbeat.
 */
export function threadCpuMs(): number {
  if (!threadCpuUsage) return -1;
  try {
    const u = threadCpuUsage();
    return (u.user + u.system) / 1000;
  } catch {
    return -1;
  }
}
