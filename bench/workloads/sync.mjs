// Sync-API-heavy: in one timer callback after start-up, 100,000 fs.statSync of one existing file, then
// 20,000 fs.readFileSync of a small file. A tool that wraps or traces sync APIs pays per call here.
// Prints {"ms": <both loops>, "cpuMs": <CPU of all threads over both>, "statMs", "readMs", "maxRssKb"}.
// The callback runs longer than 100 ms, so a block detector rightly reports it once; that is part of
// the cost measured. --trace-sync-io warns on every call (it is after the first tick).
// --stats N, --reads N: other counts (fewer under callgrind; 0 and 0 for its baseline run);
// --delay-ms <ms>: when the callback runs (200).
import { readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { cpuMs } from './cpu.mjs';

const arg = (name, dflt) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : dflt;
};
const STATS = arg('--stats', 100_000);
const READS = arg('--reads', 20_000);
const statTarget = fileURLToPath(import.meta.url);
const small = fileURLToPath(new URL('./busy.mjs', import.meta.url)); // ~200 bytes

// 200 ms: start-up (the agent's watchdog thread included) is over on a loaded box too.
setTimeout(() => {
  let size = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < STATS; i++) size += statSync(statTarget).size;
  const t1 = performance.now();
  for (let i = 0; i < READS; i++) size += readFileSync(small).length;
  const t2 = performance.now();
  const cpu = cpuMs() - c0;
  if (STATS + READS > 0 && !(size > 0)) throw new Error('sync loop read nothing');
  console.log(JSON.stringify({ ms: t2 - t0, cpuMs: cpu, statMs: t1 - t0, readMs: t2 - t1, maxRssKb: process.resourceUsage().maxRSS }));
}, arg('--delay-ms', 200));
