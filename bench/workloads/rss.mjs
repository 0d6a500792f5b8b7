// Idles 500 ms (so the agent's watchdog thread is up and settled) and reads its RSS; then idles on and
// measures the CPU time all its threads use over 3 s of nothing (from 1 s to 4 s: start-up is over).
// Prints {"rss": <bytes>, "idleCpuMs", "idleMs", "byGroup"}; byGroup is where that CPU went (ms): the
// main thread, and every other thread (V8's, libuv's, a preloaded tool's own), the busiest alone in
// otherMax (see cpu.mjs).
import { cpuByGroup, threadCpuMs } from './cpu.mjs';

setTimeout(() => {
  const rss = process.memoryUsage().rss;
  setTimeout(() => {
    const c0 = process.cpuUsage();
    const before = threadCpuMs();
    const t0 = performance.now();
    setTimeout(() => {
      const c = process.cpuUsage(c0);
      const byGroup = cpuByGroup(before, threadCpuMs());
      console.log(JSON.stringify({ rss, idleCpuMs: (c.user + c.system) / 1000, idleMs: performance.now() - t0, byGroup }));
    }, 3000);
  }, 500);
}, 500);
