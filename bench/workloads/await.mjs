// Times 2,000,000 awaits of an async function: the per-promise cost that async hooks or other
// instrumentation would show up in. Prints {"ms": <loop time>, "cpuMs": <CPU of all threads over the
// loop>, "maxRssKb": <peak RSS>} on stdout.
// --n <count>: another number of awaits (blocked-at takes ~80 s for 2M, so it is measured on fewer).
// --delay-ms <ms>: idle that long first. Without it the loop runs right at start-up, in the process's
// first second, while a preloaded agent may still be starting its own threads.
// --after-block: first block the loop for 300 ms in a timer (so the agent captures a block and has done
// whatever it does after one), wait 300 ms more, then time the loop: the agent must not stay costly.
import { performance } from 'node:perf_hooks';
import { busyWait } from './busy.mjs';
import { cpuMs } from './cpu.mjs';

const arg = (name, dflt) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : dflt;
};
const N = arg('--n', 2_000_000);
const DELAY_MS = arg('--delay-ms', 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function one() {
  return 1;
}

if (DELAY_MS > 0) await sleep(DELAY_MS);
if (process.argv.includes('--after-block')) {
  await new Promise((r) => setTimeout(() => (busyWait(300), r()), 0));
  await sleep(300);
}

// The loop yields to the event loop every 50,000 awaits (~5 ms): 2M awaits in one go never turn the
// loop for ~200 ms, which the agent rightly reports as a block, and that would measure the capture,
// not the per-await cost this benchmark is for.
const yieldToLoop = () => new Promise((r) => setImmediate(r));
let sum = 0;
const c0 = cpuMs();
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  sum += await one();
  if (i % 50_000 === 0) await yieldToLoop();
}
const ms = performance.now() - t0;
const cpu = cpuMs() - c0;
if (sum !== N) throw new Error('await loop miscounted');
console.log(JSON.stringify({ ms, cpuMs: cpu, maxRssKb: process.resourceUsage().maxRSS }));
