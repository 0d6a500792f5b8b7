// The shipped rest sentinel binary (prebuilds/linux-x64), loaded for real: it calls back once a watched
// thread has run, stays quiet while that thread is idle or unwatched, and stops cleanly.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { startRestSentinel } from '../../../src/detectors/block/rest-sentinel.js';

const supported = process.platform === 'linux' && process.arch === 'x64';
const BINARY = new URL('../../../prebuilds/linux-x64/rest-sentinel.node', import.meta.url);

/** A worker that says its kernel thread id, then spins for `ms` of CPU at each message (sleeps -ms). */
async function spinner(): Promise<{ tid: number; spin(ms: number): Promise<void>; end(): Promise<number> }> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const tid = Number(/task\\/(\\d+)$/.exec(require('node:fs').readlinkSync('/proc/thread-self'))[1]);
     parentPort.postMessage(tid);
     parentPort.on('message', (ms) => {
       if (ms < 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, -ms); // asleep, nearly no CPU
       else { const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) / 1000 < ms); }
       parentPort.postMessage('spun');
     });`,
    { eval: true },
  );
  const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
  return {
    tid,
    spin: (ms) => new Promise((resolve) => { worker.once('message', () => resolve()); worker.postMessage(ms); }),
    end: () => worker.terminate(),
  };
}

const until = async (done: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 5));
};

describe.skipIf(!supported)('the rest sentinel (native)', () => {
  it('ships as one Node-API binary that needs nothing newer than glibc 2.17', () => {
    expect(existsSync(BINARY)).toBe(true);
    const text = readFileSync(BINARY).toString('latin1');
    expect(text).toContain('napi_register_module_v1');
    const versions = [...text.matchAll(/GLIBC_2\.(\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...versions)).toBeLessThanOrEqual(17);
  });

  it("reads a thread's CPU clock while it runs; a thread not of this process as null", async () => {
    const sentinel = startRestSentinel(() => {}, 50)!;
    const w = await spinner();
    try {
      const before = sentinel.cpuMs(w.tid);
      expect(before).toBeGreaterThan(0);
      await w.spin(30);
      // The clock moved with the worker's spin (30 ms of the process's CPU, most of it the worker's).
      expect(sentinel.cpuMs(w.tid)! - before!).toBeGreaterThanOrEqual(10);
      expect(sentinel.cpuMs(1)).toBeNull(); // not a thread of this process
      expect(sentinel.cpuMs(0)).toBeNull();
    } finally {
      await w.end();
    }
    expect(sentinel.cpuMs(w.tid)).toBeNull(); // ended
  });

  it('calls once a watched thread has run, and not for an unwatched one', async () => {
    let calls = 0;
    const sentinel = startRestSentinel(() => calls++, 50);
    expect(sentinel).not.toBeNull();
    const w = await spinner();
    try {
      // unwatched: its work calls nobody
      await w.spin(30);
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toBe(0);
      expect(sentinel!.watch(w.tid, 2000)).toBe(true);
      await w.spin(30);
      await until(() => calls > 0, 5000);
      expect(calls).toBe(1);
      // disarmed after its call: more work calls nobody until it is watched again
      await w.spin(30);
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toBe(1);
      expect(sentinel!.watch(w.tid, 2000)).toBe(true);
      sentinel!.unwatch(w.tid);
      await w.spin(30);
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toBe(1);
    } finally {
      sentinel!.stop();
      await w.end();
    }
  });

  /** Calls made once a watched worker has done `work` (spin ms of CPU; negative: sleep), with the sentinel polling every `pollMs`. */
  async function callsAfter(pollMs: number, work: number): Promise<number> {
    let calls = 0;
    const sentinel = startRestSentinel(() => calls++, pollMs);
    const w = await spinner();
    try {
      expect(sentinel!.watch(w.tid, 10)).toBe(true);
      await w.spin(work);
      await until(() => calls > 0, 5000);
      return calls;
    } finally {
      sentinel!.stop();
      await w.end();
    }
  }

  it('a CPU-bound thread is seen by its CPU-clock timer, without waiting for a poll', async () => {
    expect(await callsAfter(60_000, 100)).toBe(1);
  });

  it('a thread that runs a little and then sleeps (too little CPU for the timer) is seen at the next poll', async () => {
    expect(await callsAfter(20, -200)).toBe(1);
  });

  it('a thread that is gone cannot be watched', async () => {
    const sentinel = startRestSentinel(() => {}, 50);
    const w = await spinner();
    await w.end();
    // terminate() resolves before the kernel has reaped the thread; and a thread started meanwhile (tests
    // run in parallel) may be given the same id, which is then a live thread
    await until(() => !existsSync(`/proc/self/task/${w.tid}`), 5000);
    if (!existsSync(`/proc/self/task/${w.tid}`)) expect(sentinel!.watch(w.tid, 10)).toBe(false);
    expect(sentinel!.watch(0, 10)).toBe(false);
    sentinel!.stop();
  });

  it('loads and starts its thread at the first watch(), not before (a short process never pays for it)', () => {
    // A process of its own: the test runner's threads come and go.
    const code = `
      const { startRestSentinel } = await import(${JSON.stringify(new URL('../../../dist/detectors/block/rest-sentinel.js', import.meta.url).href)});
      const { readdirSync } = await import('node:fs');
      const threads = () => readdirSync('/proc/self/task').length;
      const before = threads();
      const s = startRestSentinel(() => {}, 50);
      const made = threads();
      const watched = s.watch(process.pid, 1000);
      const after = threads();
      s.stop();
      console.log(JSON.stringify({ before, made, after, watched }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }));
    expect(out).toEqual({ before: out.before, made: out.before, after: out.before + 1, watched: true });
  });

  it('in a worker terminated while it watches: the process goes on and ends normally', async () => {
    const code = `
      import(${JSON.stringify(new URL('../../../dist/detectors/block/rest-sentinel.js', import.meta.url).href)}).then(({ startRestSentinel }) => {
        const s = startRestSentinel(() => {}, 1);
        s.watch(${process.pid}, 0);
        setInterval(() => s.watch(${process.pid}, 0), 1);
        require('node:worker_threads').parentPort.postMessage('armed');
      });`;
    for (let i = 0; i < 20; i++) {
      const w = new Worker(code, { eval: true });
      await new Promise((r) => w.once('message', r));
      expect(await w.terminate()).toBe(1);
    }
  });
});
