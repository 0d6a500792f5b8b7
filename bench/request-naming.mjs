// What naming the request behind a block costs a server (issue 23's budget: HTTP hello world req/s with
// request naming on >= 0.97 of no agent, on Node 24 and 26, where default mode names requests).
//   node bench/request-naming.mjs [--rounds 6] [--seconds 3]
// Three configurations, interleaved round by round in a rotating order: no agent, default mode (request
// naming on where Node has AsyncContextFrame), default mode with ASYNC_DEBUG_REQUEST=0. For each run:
// req/s under autocannon (10 connections, loopback) and the server's CPU per request (utime + stime of
// the server process from /proc/<pid>/stat over the load, steadier than req/s on a shared machine).
// Prints medians of per-round ratios against no agent, with the range of single rounds.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, medianRatio, ratioRange } from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = join(ROOT, 'bench', 'workloads', 'http-server.mjs');

const argv = process.argv.slice(2);
const opt = (name, fallback) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = opt('--rounds', 6);
const SECONDS = opt('--seconds', 3);
const CONFIGS = { none: null, naming: {}, 'naming off': { ASYNC_DEBUG_REQUEST: '0' } };
const TICK_MS = 10; // USER_HZ is 100 on Linux

const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
};

/** Starts the hello-world server (the agent in default mode, findings to a private temp dir, or none). */
function server(name) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ASYNC_DEBUG') || k === 'NODE_OPTIONS') delete env[k];
  const agent = CONFIGS[name];
  const dir = agent ? mkdtempSync(join(tmpdir(), 'asyncdebug-bench-')) : null;
  if (agent) Object.assign(env, { ASYNC_DEBUG_REPORTERS: 'json', ASYNC_DEBUG_REPORT_DIR: dir }, agent);
  const child = spawn(process.execPath, [...(agent ? ['--import', 'asyncdebug'] : []), SERVER], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'ignore'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 30) * 1000);
  const port = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`[${name}] the server exited before it listened`)));
  });
  const stop = () => {
    clearTimeout(killer);
    child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  return { child, port, stop };
}

async function once(name) {
  const s = server(name);
  try {
    const port = await s.port;
    await new Promise((r) => setTimeout(r, 300));
    const before = cpuMs(s.child.pid);
    const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, duration: SECONDS, sampleInt: 100 });
    const used = cpuMs(s.child.pid) - before;
    if (result.errors || result.timeouts || result.non2xx) throw new Error(`[${name}] autocannon: ${result.errors} errors, ${result.timeouts} timeouts`);
    // requests.average is per sample interval (100 ms): the total over the run is the rate.
    return { rps: result.requests.total / result.duration, usPerReq: (used * 1000) / result.requests.total };
  } finally {
    s.stop();
  }
}

const names = Object.keys(CONFIGS);
const rows = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]);
  for (const n of order) rows[n].push(await once(n));
  process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
}
const pick = (n, k) => rows[n].map((r) => r[k]);
console.log(`request naming, node ${process.version}, ${ROUNDS} rounds of ${SECONDS} s; no agent: ${median(pick('none', 'rps')).toFixed(0)} req/s, ${median(pick('none', 'usPerReq')).toFixed(1)} us CPU per request`);
for (const n of names.slice(1)) {
  const rps = medianRatio(pick(n, 'rps'), pick('none', 'rps'));
  const [lo, hi] = ratioRange(pick(n, 'rps'), pick('none', 'rps'));
  const cpu = medianRatio(pick(n, 'usPerReq'), pick('none', 'usPerReq'));
  const [clo, chi] = ratioRange(pick(n, 'usPerReq'), pick('none', 'usPerReq'));
  console.log(`  ${n.padEnd(11)} req/s ${rps.toFixed(3)} [${lo.toFixed(2)}..${hi.toFixed(2)}] ${rps >= 0.97 ? 'PASS' : 'FAIL'} (>= 0.97)   CPU per request ${cpu.toFixed(3)} [${clo.toFixed(2)}..${chi.toFixed(2)}]`);
}
