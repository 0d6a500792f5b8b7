// The split of a gap into on-CPU, asleep and waiting for a CPU: the kernel's numbers for real threads
// of this process (Linux), and the rules that turn readings into a split.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { appPart, chargeSiblingWaits, GapSplit, procSchedSource, type SchedReading } from '../../../../src/detectors/block/cpu-split.js';
import { kernelThreadId, threadCpuMs } from '../../../../src/detectors/block/thread-cpu.js';

const HAS_SCHEDSTAT = existsSync('/proc/thread-self/schedstat');
if (!HAS_SCHEDSTAT) console.log('skipped: no /proc/thread-self/schedstat here (not Linux, or a kernel without it)');

function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

describe.runIf(HAS_SCHEDSTAT)('the kernel\'s numbers for a thread of this process', () => {
  it('this thread: its kernel id, on a CPU and runnable while it reads itself; its CPU grows as it runs', () => {
    const tid = kernelThreadId();
    expect(tid).toBeGreaterThan(0);
    const reader = procSchedSource.open(tid)!;
    expect(reader).not.toBeNull();
    const a = reader.read(Date.now())!;
    // Spins until the kernel says it ran 20 ms more, or 10 s: on a loaded machine 30 ms of wall time
    // once gave less than 10 ms on a CPU. A reader whose CPU does not grow spins to the end and fails.
    let b = a;
    for (const end = Date.now() + 10_000; Date.now() < end && b.cpuMs - a.cpuMs < 20; ) {
      spin(5);
      b = reader.read(Date.now())!;
    }
    reader.close();
    expect(a.asleep).toBe(false);
    expect(b.cpuMs - a.cpuMs).toBeGreaterThanOrEqual(20);
    expect(b.waitMs).toBeGreaterThanOrEqual(a.waitMs);
    expect(reader.read(Date.now())).toBeNull(); // closed
  });

  it('the other threads of the process: their longest wait for a CPU since the first read (none while they idle)', () => {
    const siblings = procSchedSource.siblings!(kernelThreadId())!;
    expect(siblings).not.toBeNull();
    spin(20);
    const waited = siblings.maxWaitMs();
    expect(waited).toBeGreaterThanOrEqual(0);
    expect(waited).toBeLessThan(1000);
  });

  it('a worker in Atomics.wait is asleep, and its CPU does not grow', async () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const tid = Number(/task\\/(\\d+)$/.exec(require('node:fs').readlinkSync('/proc/thread-self'))[1]);
       parentPort.postMessage(tid);
       Atomics.wait(workerData, 0, 0, 5000);`,
      { eval: true, workerData: shared },
    );
    const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
    await new Promise((r) => setTimeout(r, 100));
    const reader = procSchedSource.open(tid)!;
    const a = reader.read(Date.now())!;
    await new Promise((r) => setTimeout(r, 100));
    const b = reader.read(Date.now())!;
    reader.close();
    Atomics.store(shared, 0, 1);
    Atomics.notify(shared, 0);
    await worker.terminate();
    expect(a.asleep).toBe(true);
    expect(b.asleep).toBe(true);
    expect(b.cpuMs - a.cpuMs).toBeLessThan(5);
  });

  it('no reader for a thread that is not there', () => {
    expect(procSchedSource.open(0)).toBeNull();
    expect(procSchedSource.open(2 ** 30)).toBeNull();
  });

  it('the CPU stamp of a beat is on the kernel\'s clock (process.threadCpuUsage, or schedstat on Node 20)', () => {
    const stamp = threadCpuMs();
    if (stamp < 0) return void console.log(`skipped: neither process.threadCpuUsage nor /proc/thread-self/schedstat on Node ${process.version}`);
    const reader = procSchedSource.open(kernelThreadId())!;
    const r = reader.read(Date.now())!;
    reader.close();
    expect(Math.abs(r.cpuMs - stamp)).toBeLessThan(20);
  });
});

const reading = (at: number, cpuMs: number, waitMs: number, asleep = false): SchedReading => ({ at, cpuMs, waitMs, asleep });

describe('a gap\'s split from its readings', () => {
  it('with the beat\'s CPU stamp, the CPU of the whole gap is known; the time off it before the first read is split as measured', () => {
    // Beat at 0 with 1000 ms used; opened at 100 (50 ms more CPU), closed at 200 by a beat that stamped 1100.
    const split = new GapSplit(0, 1000, reading(100, 1050, 500));
    split.add(reading(200, 1100, 550));
    const s = split.estimate(200, 1100);
    expect(s.cpuMs).toBe(100);
    // Measured: 50 ms off the CPU, all of it waiting: the 50 ms off it before the first read too.
    expect(s.starvedMs).toBe(100);
    expect(s.sleepMs).toBe(0);
  });

  it('without the stamp (a thread that could not read its own CPU time), the whole gap is split as the measured stretch was', () => {
    const split = new GapSplit(0, null, reading(100, 1000, 500));
    split.add(reading(200, 1025, 500, true));
    const s = split.estimate(200, null);
    expect(s.cpuMs).toBe(50);
    expect(s.starvedMs).toBe(0);
    expect(s.sleepMs).toBe(150);
  });

  it('the lower bound counts no unsettled stretch: a runnable thread whose CPU has not moved may be waiting', () => {
    const split = new GapSplit(0, null, reading(100, 1000, 500));
    split.add(reading(300, 1000, 500)); // runnable, no CPU: its wait is not accounted yet
    expect(split.activeLowerBound()).toBe(0);
    split.add(reading(320, 1010, 700)); // it ran: the 200 ms were a wait
    expect(split.activeLowerBound()).toBe(10);
    split.add(reading(500, 1010, 700, true)); // asleep since: settled
    expect(split.activeLowerBound()).toBe(10 + 190); // 400 ms measured, 10 on a CPU, 200 waiting
  });

  it('the lower bound of a stamped gap allows only for the stamp\'s own microseconds', () => {
    // Beat at 0 stamped 1000 (exact: the thread brought its total up to date); read at 106 as 1101.
    const split = new GapSplit(0, 1000, reading(106, 1101, 500));
    expect(split.activeLowerBound()).toBe(100);
  });

  it('while the thread is runnable, time the kernel has not accounted is taken as a wait, not sleep; a beat settles it', () => {
    const split = new GapSplit(0, 1000, reading(100, 1050, 500));
    split.add(reading(300, 1100, 500)); // 150 ms neither on a CPU nor in the wait total, runnable now
    expect(split.estimate(300, null)).toMatchObject({ cpuMs: 100, sleepMs: 0 });
    split.add(reading(320, 1100, 500, true)); // asleep at the next read: it was sleep after all
    expect(split.estimate(320, null).sleepMs).toBeGreaterThanOrEqual(150);
    const slept = new GapSplit(0, 1000, reading(100, 1000, 500, true));
    slept.add(reading(420, 1010, 500)); // closed after the beat at 400 that woke it
    slept.endedByBeat(400);
    expect(slept.estimate(400, 1002).sleepMs).toBeGreaterThanOrEqual(350); // of 400: the 20 ms read after the beat are not known
  });

  it('the app\'s part of a gap takes every wait for a CPU; on-CPU and asleep keep their proportion', () => {
    expect(appPart({ cpuMs: 100, sleepMs: 100, starvedMs: 50 }, 150)).toEqual({ cpuMs: 50, sleepMs: 50, starvedMs: 50 });
    expect(appPart({ cpuMs: 100, sleepMs: 0, starvedMs: 200 }, 150)).toEqual({ cpuMs: 0, sleepMs: 0, starvedMs: 150 });
  });
});

describe('sleep another thread may have been waited on for', () => {
  it('moves up to the other thread\'s wait from sleep to waiting for a CPU; CPU is untouched', () => {
    expect(chargeSiblingWaits({ cpuMs: 20, sleepMs: 100, starvedMs: 5 }, 60)).toEqual({ cpuMs: 20, sleepMs: 40, starvedMs: 65 });
    expect(chargeSiblingWaits({ cpuMs: 20, sleepMs: 100, starvedMs: 5 }, 500)).toEqual({ cpuMs: 20, sleepMs: 0, starvedMs: 105 });
    expect(chargeSiblingWaits({ cpuMs: 200, sleepMs: 0, starvedMs: 0 }, 50)).toEqual({ cpuMs: 200, sleepMs: 0, starvedMs: 0 });
  });
});

describe("a thread's CPU stamp", () => {
  it('is up to date when taken, not up to a scheduler tick behind (Linux)', async () => {
    if (process.platform !== 'linux') return;
    const { threadCpuMs } = await import('../../../../src/detectors/block/thread-cpu.js');
    // Spin, stamping all along: a stamp that moved only at ticks would jump by 4-10 ms at a time.
    let jumps = 0;
    let last = threadCpuMs();
    for (const end = Date.now() + 200; Date.now() < end; ) {
      const now = threadCpuMs();
      if (now - last >= 3) jumps++;
      last = now;
    }
    expect(last).toBeGreaterThan(0);
    // A preemption or a collection may still make one; a tick-driven stamp makes ~20-50 here.
    expect(jumps).toBeLessThanOrEqual(5);
  });
});
