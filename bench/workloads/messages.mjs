// Messaging: the main thread posts 100,000 small messages ({ i, text }) to a worker, 500 per loop turn
// (so no turn blocks the loop), and the worker answers each one; timed from the first post to the last
// answer (the worker is started and ready before). A tool that wraps postMessage pays per message on
// both sides. Prints {"ms", "cpuMs": <CPU of all threads over that time>, "maxRssKb"}.
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { cpuMs } from './cpu.mjs';

const N = 100_000;
const BATCH = 500;

if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url));
  worker.once('message', () => {
    // ready: the worker's start-up is not measured
    let answers = 0;
    const c0 = cpuMs();
    const t0 = performance.now();
    worker.on('message', () => {
      if (++answers < N) return;
      const ms = performance.now() - t0;
      const cpu = cpuMs() - c0;
      console.log(JSON.stringify({ ms, cpuMs: cpu, maxRssKb: process.resourceUsage().maxRSS }));
      worker.terminate();
    });
    let sent = 0;
    const post = () => {
      for (const end = Math.min(N, sent + BATCH); sent < end; sent++) worker.postMessage({ i: sent, text: 'hello' });
      if (sent < N) setImmediate(post);
    };
    post();
  });
} else {
  parentPort.on('message', (m) => parentPort.postMessage({ i: m.i, ok: true }));
  parentPort.postMessage('ready');
}
