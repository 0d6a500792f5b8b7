// worker_threads: the main thread starts 2 workers that each run 500,000 awaits (yielding to their
// event loop every 50,000, as await.mjs does) and post the result back. Prints {"ms": <from before the
// first new Worker() to both results in>, "cpuMs": <CPU of all threads over that time, the workers'
// included>, "maxRssKb": <peak RSS of the process, workers included>}.
// --n <count>: awaits per worker (blocked-at is measured on fewer: it is ~40 us per await).
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { cpuMs } from './cpu.mjs';

async function one() {
  return 1;
}

if (isMainThread) {
  const nAt = process.argv.indexOf('--n');
  const n = nAt > 0 ? Number(process.argv[nAt + 1]) : 500_000;
  const c0 = cpuMs();
  const t0 = performance.now();
  const results = await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { n } });
          w.once('message', resolve);
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`worker exited ${code} before posting its result`)));
        }),
    ),
  );
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  if (results.some((s) => s !== n)) throw new Error('worker await loop miscounted');
  console.log(JSON.stringify({ ms, cpuMs: cpu, maxRssKb: process.resourceUsage().maxRSS }));
} else {
  const yieldToLoop = () => new Promise((r) => setImmediate(r));
  let sum = 0;
  for (let i = 0; i < workerData.n; i++) {
    sum += await one();
    if (i % 50_000 === 0) await yieldToLoop();
  }
  parentPort.postMessage(sum);
}
