// await.mjs's 2,000,000 awaits, timed only after the process has run 2 s: what the agent costs once it
// has started (the watchdog of ASYNC_DEBUG_OTEL loads its SDK packages during the first second).
// Prints {"ms": <loop time>} on stdout.
import { performance } from 'node:perf_hooks';

await new Promise((r) => setTimeout(r, 2000));
async function one() {
  return 1;
}
const yieldToLoop = () => new Promise((r) => setImmediate(r));
let sum = 0;
const t0 = performance.now();
for (let i = 0; i < 2_000_000; i++) {
  sum += await one();
  if (i % 50_000 === 0) await yieldToLoop();
}
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, sum }));
