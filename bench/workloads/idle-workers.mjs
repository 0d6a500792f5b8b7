// Idle CPU with idle threads: starts --workers N worker_threads that do nothing (each keeps its event
// loop alive on its message port), waits until all are up and 1 s more (--settle-ms N: N ms), then
// measures the CPU time all the process's threads use over 3 s of nothing. A tool that wakes every
// thread periodically pays per thread here. Prints {"idleCpuMs", "idleMs", "byGroup": {main, app, other,
// otherThreads, otherMax}}: where that CPU went (ms): the main thread, the N workers, and every other
// thread (V8's, libuv's and a preloaded tool's own), the busiest of those alone in otherMax.
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { cpuByGroup, cpuMs, ownTid, threadCpuMs } from './cpu.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (isMainThread) {
  const at = process.argv.indexOf('--workers');
  const n = at > 0 ? Number(process.argv[at + 1]) : 16;
  const workers = [];
  const tids = await Promise.all(
    Array.from({ length: n }, () => {
      const w = new Worker(new URL(import.meta.url));
      workers.push(w);
      return new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    }),
  );
  // Start-up is over, in every thread, after 1 s. --settle-ms 12000: also V8's memory reducer, which
  // collects each isolate's garbage about 8 s after it started (a process idle for long is past it).
  const settleAt = process.argv.indexOf('--settle-ms');
  await sleep(settleAt > 0 ? Number(process.argv[settleAt + 1]) : 1000);
  const t0 = performance.now();
  const c0 = cpuMs();
  const before = threadCpuMs();
  await sleep(3000);
  const idleCpuMs = cpuMs() - c0;
  const byGroup = cpuByGroup(before, threadCpuMs(), tids);
  const idleMs = performance.now() - t0;
  await Promise.all(workers.map((w) => w.terminate()));
  console.log(JSON.stringify({ idleCpuMs, idleMs, byGroup }));
} else {
  parentPort.on('message', () => {}); // an open port keeps the thread alive, idle
  parentPort.postMessage(ownTid());
}
