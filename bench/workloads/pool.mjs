// libuv-pool-heavy: 10 rounds of 400 parallel fs.promises.readFile of a small file together with 8
// crypto.pbkdf2 calls (more than the 4 pool threads), timed inside the child. A tool that wraps the
// pool APIs pays per call here; the readFiles queue behind the hashes, so asyncdebug also reports
// threadpool-saturation, and that is part of the cost measured. Prints {"ms", "cpuMs": <CPU of all
// threads, the pool's included>, "maxRssKb"}.
// --rounds N: another number of rounds (fewer under callgrind; 0 for its baseline run);
// --delay-ms <ms>: when the rounds start (200).
import { pbkdf2 } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cpuMs } from './cpu.mjs';

const arg = (name, dflt) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : dflt;
};
const ROUNDS = arg('--rounds', 10);
const READS = 400;
const HASHES = 8;
const hash = promisify(pbkdf2);
const small = fileURLToPath(new URL('./busy.mjs', import.meta.url)); // ~200 bytes

setTimeout(async () => {
  let size = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    const work = [];
    for (let i = 0; i < HASHES; i++) work.push(hash('password', `salt${i}`, 5_000, 32, 'sha256'));
    for (let i = 0; i < READS; i++) work.push(readFile(small));
    for (const x of await Promise.all(work)) size += x.length;
  }
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  if (ROUNDS > 0 && !(size > 0)) throw new Error('pool workload read nothing');
  console.log(JSON.stringify({ ms, cpuMs: cpu, maxRssKb: process.resourceUsage().maxRSS }));
}, arg('--delay-ms', 200));
