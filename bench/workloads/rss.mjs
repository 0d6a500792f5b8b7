// Idles 500 ms (so the agent's watchdog thread is up and settled) and reads its RSS; then idles on and
// measures the CPU time all its threads use over 3 s of nothing (from 1 s to 4 s: start-up is over).
// Prints {"rss": <bytes>, "idleCpuMs", "idleMs"}.
setTimeout(() => {
  const rss = process.memoryUsage().rss;
  setTimeout(() => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    setTimeout(() => {
      const c = process.cpuUsage(c0);
      console.log(JSON.stringify({ rss, idleCpuMs: (c.user + c.system) / 1000, idleMs: performance.now() - t0 }));
    }, 3000);
  }, 500);
}, 500);
