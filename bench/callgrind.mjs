// Instructions the agent adds, counted by valgrind's callgrind: unlike time, an instruction count does not
// move with the neighbours' load, so it is the steady figure of the start-up, await, sync-API and pool
// budgets (issue 22). Part of `node bench/run.mjs`; alone: `node bench/callgrind.mjs [--quick]`.
//
// Each run is `valgrind --tool=callgrind --separate-threads=yes node --single-threaded [--import
// asyncdebug] workloads/<file>`, its output files in a fresh temp directory, summed over all the threads'
// files (one "totals:" line each), then deleted. Choices, and why:
// - --single-threaded (a V8 flag, both configurations): V8 then compiles and collects garbage on the
//   thread that asks instead of on helper threads, whose share of the count changed from run to run by
//   tens of millions of instructions; with it the main thread's count repeats within 1-3 %.
// - A workload's own instructions are those of a run doing the work minus those of the same run doing
//   none (--n 0, ...): start-up and exit cancel. Both runs first idle SETTLE_MS (valgrind is ~50x slower:
//   the agent's watchdog thread takes seconds to start under it, and how far it got when a short run
//   ends would otherwise be most of the difference).
// - ASYNC_DEBUG_SLOW_MS=20000 for the agent: its 100 ms block threshold at valgrind's slowdown (~90x for the
//   sync loop here), so a stretch that is no block natively is none here either. It was 5000: the sync
//   work (24,000 calls, ~86 ms natively) took 7.6-8 s under valgrind, so it was read as a block, and the
//   stack reads landed differently from run to run (1.334x and 1.552x in two full runs a few commits apart,
//   where an A/B of the two builds on one workload counted 611.8 and 614.1 M in the main thread).
// - Work driven by the clock (the agent's heartbeat, the watchdog's polls) runs ~50x more often per unit
//   of work than natively: the counts overstate it, and count exactly what the agent does per call.
// - Instructions are user space only: the kernel's share of a syscall (the sync loop's stat and read,
//   futex waits) is not in them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAgent, median, run } from './lib.mjs';

const SETTLE_MS = 5000;
const AGENT_ENV = { ASYNC_DEBUG_SLOW_MS: '20000' };

/** The work each counted workload does under callgrind, and its baseline that does none. */
export const CALLGRIND_WORK = {
  await: { file: 'await.mjs', work: ['--n', '400000'], none: ['--n', '0'], per: 400_000, unit: 'await' },
  sync: { file: 'sync.mjs', work: ['--stats', '20000', '--reads', '4000'], none: ['--stats', '0', '--reads', '0'], per: 24_000, unit: 'call' },
  pool: { file: 'pool.mjs', work: ['--rounds', '2'], none: ['--rounds', '0'], per: 2, unit: 'round' },
};

export function hasValgrind() {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * One run under callgrind: { total, main } instructions (all threads; the main thread alone, whose file
 * is the first, "-01"). Its files go to a fresh directory, removed after.
 */
async function countOnce(config, file, args) {
  const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-callgrind-'));
  try {
    const prefix = ['valgrind', '--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`, '-q'];
    await run(config, file, args, { prefix, nodeArgs: ['--single-threaded'], extraEnv: isAgent(config) ? AGENT_ENV : {}, timeoutMs: 240_000 });
    let total = 0;
    let main = 0;
    let threads = 0;
    for (const f of readdirSync(dir)) {
      const m = /^(?:totals|summary):\s+(\d+)/m.exec(readFileSync(join(dir, f), 'utf8'));
      if (!m) continue;
      total += Number(m[1]);
      threads++;
      if (f.endsWith('-01')) main = Number(m[1]);
    }
    if (!threads) throw new Error(`callgrind wrote no counts for ${file} [${config}]`);
    return { total, main, threads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Start-up (whole runs of empty.mjs: `rounds` per configuration, medians), and per workload the
 * instructions of the work (work run minus baseline run, once per configuration: the counts repeat).
 * Returns { startup: {none, default: {total, main}}, await|sync|pool: {none, default: {total, main}} }
 * with `ratio` (default / none of the totals) on each workload.
 */
export async function callgrindBench({ startupRounds = 1, log = () => {} } = {}) {
  const configs = ['none', 'default'];
  const out = { startup: {} };
  log('callgrind: start-up...');
  for (const c of configs) out.startup[c] = [];
  for (let r = 0; r < startupRounds; r++) for (const c of configs) out.startup[c].push(await countOnce(c, 'empty.mjs', []));
  for (const c of configs) {
    const rows = out.startup[c];
    out.startup[c] = { total: median(rows.map((x) => x.total)), main: median(rows.map((x) => x.main)) };
  }
  for (const [name, w] of Object.entries(CALLGRIND_WORK)) {
    log(`callgrind: ${name}...`);
    out[name] = {};
    for (const c of configs) {
      const work = await countOnce(c, w.file, ['--delay-ms', String(SETTLE_MS), ...w.work]);
      const base = await countOnce(c, w.file, ['--delay-ms', String(SETTLE_MS), ...w.none]);
      out[name][c] = { total: work.total - base.total, main: work.main - base.main };
    }
    out[name].ratio = out[name].default.total / out[name].none.total;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { cleanup } = await import('./lib.mjs');
  try {
    if (!hasValgrind()) throw new Error('valgrind is not installed');
    const res = await callgrindBench({ startupRounds: process.argv.includes('--quick') ? 1 : 3, log: (l) => process.stderr.write(`${l}\n`) });
    const M = (x) => `${(x / 1e6).toFixed(1)} M`;
    const s = res.startup;
    console.log(`start-up (empty.mjs): none ${M(s.none.total)}, default ${M(s.default.total)}: +${M(s.default.total - s.none.total)} (main thread +${M(s.default.main - s.none.main)})`);
    for (const name of Object.keys(CALLGRIND_WORK)) {
      const r = res[name];
      const w = CALLGRIND_WORK[name];
      console.log(`${name}: none ${M(r.none.total)}, default ${M(r.default.total)}: ${r.ratio.toFixed(3)}x (main thread ${(r.default.main / r.none.main).toFixed(3)}x), +${((r.default.total - r.none.total) / w.per).toFixed(0)} per ${w.unit}`);
    }
    console.log(JSON.stringify(res));
  } finally {
    cleanup();
  }
}
