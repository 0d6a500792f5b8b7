// What a blocked thread did during a gap of its loop, from the kernel's scheduler statistics of that
// thread (Linux: /proc/self/task/<tid>/schedstat): time on a CPU, time runnable but waiting for a CPU
// (starved: the machine gave the cores to others), and the rest of the wall time, off a CPU asleep
// (sync I/O, Atomics.wait, a native wait). A gap is the app's block when on-CPU + asleep reaches the
// threshold; waiting for a CPU is what the machine did, not the app.
//
// The watchdog reads the statistics at a gap's edges only (when it opens, before an ongoing write,
// when it closes), never on a healthy tick. Two limits of the kernel's numbers shape the rules here:
// - the wait of a thread that is runnable right now is added to its total only once it gets a CPU,
//   so at a read the part of the gap not yet accounted for may be a wait still pending, not sleep;
// - the gap opens only once it is `slowMs` old: the stretch before the first read is not measured.
//   Where the thread stamps its CPU time at each heartbeat (thread-cpu.ts), that stretch's CPU is known;
//   the rest of it is split as the measured stretch was.
import { closeSync as closeFile, openSync as openFile, readdirSync, readlinkSync, readSync as readFile } from '../../original.js';

/** One reading of a thread's statistics (cumulative since the thread started). */
export interface SchedReading {
  /** Epoch ms of the read, on the watchdog's clock. */
  at: number;
  /** Ms on a CPU, and ms runnable but waiting for one. */
  cpuMs: number;
  waitMs: number;
  /** Not runnable at the read (sleeping: I/O, a lock, a wait): no wait is pending. */
  asleep: boolean;
}

/** Reads one thread's statistics while a gap is open. */
export interface SchedReader {
  /**
   * A reading as of `at`; null when the thread is gone or the numbers cannot be read. `cpuOnly`: one
   * file read instead of two, `asleep` then false (a resting thread's watchdog reads only its times).
   */
  read(at: number, cpuOnly?: boolean): SchedReading | null;
  /**
   * The system call the thread is in now, as its number and first argument (`281 0x12`: epoll_pwait on
   * fd 18), `running` when it is on a CPU; null where it cannot be read. A resting thread's watchdog
   * tells the thread back in its loop's poll from one stuck elsewhere by it (block-watcher.ts).
   */
  syscall?(): string | null;
  close(): void;
}

/**
 * The other threads of the process while a gap is open: how long the one that waited longest waited
 * for a CPU since the gap's first read. A thread asleep in its gap may be waiting for them: V8's
 * garbage collector and compiler run helper threads the loop's thread waits on, and on a loaded
 * machine those helpers wait for a CPU. Their wait is the machine's, not the app's sleep.
 */
export interface SiblingWaits {
  /** Ms the longest-waiting other thread spent runnable without a CPU since this was made. */
  maxWaitMs(): number;
}

/** Where readers come from: the kernel (procSchedSource), or a test's script. */
export interface SchedSource {
  /** A reader of kernel thread `tid` of this process; null where its statistics cannot be read. */
  open(tid: number): SchedReader | null;
  /** The process's other threads but `tid` and the reader's own; null where they cannot be read. */
  siblings?(tid: number): SiblingWaits | null;
  /** Ms the reader's own thread (the watchdog) has waited for a CPU in all; null where it cannot be read. */
  ownWaitMs?(): number | null;
}

/** At most this many other threads are read at a gap's edges (about 1 ms for 256). */
const MAX_SIBLINGS = 256;

/** The wait total (ms) in one `/proc/self/task/<tid>/schedstat`, or null once the thread is gone. */
function readWaitMs(tid: string, buffer: Buffer): number | null {
  let fd = -1;
  try {
    fd = openFile(`/proc/self/task/${tid}/schedstat`, 'r');
    const wait = Number(buffer.toString('latin1', 0, readFile(fd, buffer, 0, buffer.length, 0)).split(' ')[1]);
    return Number.isFinite(wait) ? wait / 1e6 : null;
  } catch {
    return null;
  } finally {
    if (fd >= 0) closeFile(fd);
  }
}

/** This thread's kernel id (the reader's own thread is no sibling). */
let ownTid: string | null = null;
function readerTid(): string {
  try {
    ownTid ??= readlinkSync('/proc/thread-self').split('/').pop() ?? '';
  } catch {
    ownTid = '';
  }
  return ownTid;
}

/** A gap (or its app part) split by what the thread did, ms. */
export interface GapSplitMs {
  cpuMs: number;
  sleepMs: number;
  starvedMs: number;
}

/**
 * What the heartbeat's CPU stamp may lag the truth by, in a lower bound of the thread's CPU since it. The
 * thread brings its total up to date before it stamps (thread-cpu.ts), so only the beat's own
 * microseconds; were it not brought up to date, it could lag by a tick (4 ms at HZ=250): a block that
 * ran so close to the threshold would then be written as one while it lasted and withdrawn at its end.
 * (A read of /proc may lag by a tick too, which only makes a bound smaller; the watchdog reads the
 * thread's CPU clock instead where it can: block-watcher.ts.)
 */
const STAMP_SLACK_MS = 1;

/** Below this much measured time off a CPU, the measured stretch says nothing about how to split the rest. */
const MIN_MEASURED_MS = 2;

/** `/proc/self/task/<tid>/stat`: the state letter after the command name (which may hold spaces and parentheses). */
function parseAsleep(stat: string): boolean {
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state !== 'R' && state !== '';
}

/** For the reader's own wait total (ownWaitMs). */
const ownBuffer = Buffer.alloc(256);

/** The kernel's statistics through two files kept open while the gap lasts, read at position 0. */
export const procSchedSource: SchedSource = {
  siblings: procSiblings,
  ownWaitMs() {
    const tid = process.platform === 'linux' ? readerTid() : '';
    return tid ? readWaitMs(tid, ownBuffer) : null;
  },
  open(tid) {
    if (!(tid > 0) || process.platform !== 'linux') return null;
    let schedFd = -1;
    let statFd = -1;
    try {
      schedFd = openFile(`/proc/self/task/${tid}/schedstat`, 'r');
      statFd = openFile(`/proc/self/task/${tid}/stat`, 'r');
    } catch {
      if (schedFd >= 0) closeFile(schedFd);
      return null;
    }
    const buffer = Buffer.alloc(1024);
    const text = (fd: number) => buffer.toString('latin1', 0, readFile(fd, buffer, 0, buffer.length, 0));
    let open = true;
    let syscallFd = -1;
    return {
      syscall() {
        if (!open) return null;
        try {
          if (syscallFd < 0) syscallFd = openFile(`/proc/self/task/${tid}/syscall`, 'r');
          const [nr, arg] = text(syscallFd).trim().split(' ');
          return nr === 'running' ? nr : nr && arg ? `${nr} ${arg}` : null;
        } catch {
          return null;
        }
      },
      read(at, cpuOnly = false) {
        if (!open) return null;
        try {
          const [cpu, wait] = text(schedFd).split(' ');
          const cpuNs = Number(cpu);
          const waitNs = Number(wait);
          if (!Number.isFinite(cpuNs) || !Number.isFinite(waitNs)) return null;
          return { at, cpuMs: cpuNs / 1e6, waitMs: waitNs / 1e6, asleep: cpuOnly ? false : parseAsleep(text(statFd)) };
        } catch {
          return null; // the thread exited
        }
      },
      close() {
        if (!open) return;
        open = false;
        for (const fd of [schedFd, statFd, syscallFd]) {
          if (fd < 0) continue;
          try {
            closeFile(fd);
          } catch {
            // already gone
          }
        }
      },
    };
  },
};

/** The other threads' wait totals at a gap's first read, read again for their growth. */
function procSiblings(tid: number): SiblingWaits | null {
  if (!(tid > 0) || process.platform !== 'linux') return null;
  const buffer = Buffer.alloc(256);
  const start = new Map<string, number>();
  try {
    const skip = new Set([String(tid), readerTid()]);
    for (const t of readdirSync('/proc/self/task')) {
      if (skip.has(t)) continue;
      const wait = readWaitMs(t, buffer);
      if (wait !== null) start.set(t, wait);
      if (start.size >= MAX_SIBLINGS) break;
    }
  } catch {
    return null;
  }
  return {
    maxWaitMs() {
      let max = 0;
      for (const [t, before] of start) {
        const now = readWaitMs(t, buffer);
        if (now !== null && now - before > max) max = now - before;
      }
      return max;
    },
  };
}

const clamp = (ms: number, max: number) => Math.min(Math.max(0, ms), Math.max(0, max));

/**
 * The split of one gap from the readings the watchdog took while it lasted. `beat` is the heartbeat
 * the gap began after, `beatCpuMs` the thread's CPU time at that beat (null: not known), `first` the
 * reading taken when the watchdog opened the gap.
 */
export class GapSplit {
  private last: SchedReading;
  /** The latest read known to have had no wait pending: the measured split up to it is settled. */
  private settledAt: number;

  constructor(
    readonly beat: number,
    private readonly beatCpuMs: number | null,
    private readonly first: SchedReading,
  ) {
    this.last = first;
    this.settledAt = first.at;
  }

  /**
   * Another thread's wait measured since the first read, stretched over the gap up to `end`: the
   * stretch before the first read is taken to have been like the measured one (as its split is).
   */
  siblingWaitOver(end: number, measuredWaitMs: number): number {
    const measured = this.last.at - this.first.at;
    if (measured < MIN_MEASURED_MS) return measuredWaitMs;
    return (measuredWaitMs * Math.max(measured, end - this.beat)) / measured;
  }

  add(r: SchedReading): void {
    // The thread ran since the last read: any wait pending then has been added by now.
    if (r.cpuMs > this.last.cpuMs) this.settledAt = this.last.at;
    if (r.asleep) this.settledAt = r.at;
    this.last = r;
  }

  /**
   * The gap ended with a beat at `end`: the thread ran then, so every wait before it is in the kernel's
   * total by the next read (read after `end`).
   */
  endedByBeat(end: number): void {
    this.settledAt = Math.max(this.settledAt, Math.min(end, this.last.at));
  }

  /**
   * Ms of the gap the thread certainly spent on a CPU or asleep by the last read. The stretch before
   * the first read counts only with its CPU stamp, and only its CPU; an unsettled stretch at the end
   * (the thread runnable now, its wait maybe not accounted yet) not at all.
   */
  activeLowerBound(siblingWaitMs = 0): number {
    const { first, last } = this;
    const measuredCpu = last.cpuMs - first.cpuMs;
    const measuredWait = last.waitMs - first.waitMs;
    // Sleep as long as another thread of the process waited for a CPU may have been a wait for it.
    const sleep = this.settledAt - first.at - measuredCpu - measuredWait - siblingWaitMs;
    return this.cpuLowerBound() + Math.max(0, sleep);
  }

  /** Ms of the gap the thread certainly spent on a CPU by the last read (its sleep left out). */
  cpuLowerBound(): number {
    const { first, last } = this;
    return Math.max(0, this.beatCpuMs !== null ? last.cpuMs - this.beatCpuMs - STAMP_SLACK_MS : last.cpuMs - first.cpuMs);
  }

  /** The best estimate of the split of the gap from `beat` to `end` (the beat that ended it, or now). */
  estimate(end: number, endCpuMs: number | null): GapSplitMs {
    const { first, last, beat } = this;
    const wall = Math.max(0, end - beat);
    const measuredWall = Math.max(0, last.at - first.at);
    const measuredCpu = clamp(last.cpuMs - first.cpuMs, measuredWall);
    const unaccounted = measuredWall - measuredCpu - clamp(last.waitMs - first.waitMs, measuredWall - measuredCpu);
    // Time neither on a CPU nor in the kernel's wait total is sleep where settled; past that, while the
    // thread is runnable, a wait the kernel has not added yet.
    const settledSleep = this.settledAt - first.at - measuredCpu - (last.waitMs - first.waitMs);
    const measuredSleep = last.asleep ? unaccounted : clamp(settledSleep, unaccounted);
    const measuredWait = measuredWall - measuredCpu - measuredSleep;
    if (this.beatCpuMs === null) {
      // No CPU stamp at the beat: the whole gap split as the measured stretch was; with nothing
      // measured, the thread's state at the read says whether it slept or ran (the wall-clock rule).
      if (measuredWall < MIN_MEASURED_MS) return first.asleep ? { cpuMs: 0, sleepMs: wall, starvedMs: 0 } : { cpuMs: wall, sleepMs: 0, starvedMs: 0 };
      const cpuMs = (wall * measuredCpu) / measuredWall;
      const starvedMs = (wall * measuredWait) / measuredWall;
      return { cpuMs, starvedMs, sleepMs: Math.max(0, wall - cpuMs - starvedMs) };
    }
    // The CPU of the whole gap is known from the stamps (or up to the last read, for a gap closed
    // without a beat); the time off it before the first read is split as the measured one was.
    const cpuMs = clamp((endCpuMs ?? last.cpuMs) - this.beatCpuMs, wall);
    const prefixWall = Math.max(0, first.at - beat);
    const prefixOff = Math.max(0, prefixWall - clamp(first.cpuMs - this.beatCpuMs, prefixWall));
    const measuredOff = measuredWait + measuredSleep;
    const waitShare = measuredOff >= MIN_MEASURED_MS ? measuredWait / measuredOff : first.asleep ? 0 : 1;
    const starvedMs = clamp(measuredWait + prefixOff * waitShare, wall - cpuMs);
    return { cpuMs, starvedMs, sleepMs: Math.max(0, wall - cpuMs - starvedMs) };
  }
}

/**
 * A split with the sleep another thread of the process may have been waited on for, while it waited
 * for a CPU itself, counted as waiting for a CPU (SiblingWaits says why).
 */
export function chargeSiblingWaits(gap: GapSplitMs, siblingWaitMs: number): GapSplitMs {
  const moved = Math.min(gap.sleepMs, Math.max(0, siblingWaitMs));
  return moved > 0 ? { cpuMs: gap.cpuMs, sleepMs: gap.sleepMs - moved, starvedMs: gap.starvedMs + moved } : gap;
}

/**
 * A split whose thread waited for a CPU half of it or more, with its sleep counted as that wait too: a
 * thread kept off the CPUs that long also sleeps for the machine (on V8's helper threads, which wait as
 * well; on page faults; on a lock a starved thread holds). Its own time is then its CPU time alone. On
 * fastify's suite under load, `server.listen` showed a 2.11 s gap: 15 ms on a CPU, 223 ms asleep and
 * 1.87 s waiting for a CPU.
 */
export function chargeStarvedSleep(gap: GapSplitMs): GapSplitMs {
  return gap.sleepMs > 0 && isMostlyStarved(gap) ? { cpuMs: gap.cpuMs, sleepMs: 0, starvedMs: gap.starvedMs + gap.sleepMs } : gap;
}

/** Whether the thread waited for a CPU half the gap or more. */
export function isMostlyStarved(gap: GapSplitMs): boolean {
  return gap.starvedMs * 2 >= gap.cpuMs + gap.sleepMs + gap.starvedMs;
}

/**
 * The split of a gap's app part (`appMs`, the gap less its start-up, ms): every wait for a CPU is
 * taken as the app's (the start-up part may have had none), on-CPU and asleep keep their proportion.
 */
export function appPart(gap: GapSplitMs, appMs: number): GapSplitMs {
  const starvedMs = Math.min(gap.starvedMs, Math.max(0, appMs));
  const active = Math.max(0, appMs - starvedMs);
  const total = gap.cpuMs + gap.sleepMs;
  const cpuMs = total > 0 ? (active * gap.cpuMs) / total : active;
  return { cpuMs, sleepMs: active - cpuMs, starvedMs };
}
