// Benchmarks of the asyncdebug agent, side by side with its peers:
//   node bench/run.mjs [--quick] [--soak-seconds N] [--write-results]
// Configurations: no agent, asyncdebug default mode, debug mode, blocked-at (as a preload), and
// `node --trace-sync-io`. The box is shared and noisy, so every number is relative to plain node
// measured in the same run: fresh child per measurement, configurations interleaved round by round
// (rotated each round), medians over rounds of the per-round ratio or difference.
// Prints tables with PASS/FAIL per budget, then, last, one JSON line. Exit status 1 if a budget fails.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_LABELS,
  blockReported,
  cleanup,
  interleave,
  lastJson,
  median,
  medianDiff,
  medianRatio,
  diffRange,
  peakRssKb,
  ratioRange,
  run,
  sleep,
  start,
  waitForLine,
} from './lib.mjs';
import { threadsBench as threadsWorkloads } from './threads.mjs';
import { CALLGRIND_WORK, callgrindBench as countInstructions, hasValgrind } from './callgrind.mjs';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const WRITE_RESULTS = argv.includes('--write-results');
// --only rss,idleWorkers,latency: just those parts (named as below without "Bench"), their raw figures as
// JSON; no report, no goals (a quick look at a few figures after a change).
const onlyAt = argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? String(argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : null;
const soakAt = argv.indexOf('--soak-seconds');
const SOAK_SECONDS = soakAt >= 0 ? Number(argv[soakAt + 1]) : QUICK ? 12 : 300;
const ROUNDS = QUICK ? 3 : 6;
const HTTP_SECONDS = QUICK ? 1.5 : 5;
const STARTUP_ROUNDS = QUICK ? 8 : 20;
const LATENCY_ROUNDS = QUICK ? 1 : 3;
const MEMORY_ROUNDS = QUICK ? 1 : 3;
const SLOW_MS = 100; // the agent's default block threshold, and the one blocked-at is given
// blocked-at captures and formats a stack for every async resource, promises included (~40 us per
// await here): 2M awaits take it ~80 s. It runs the await loops on fewer awaits, paired with plain node
// on the same count; its ratio is therefore "per await", and says so in the table.
const BA_AWAITS = QUICK ? 30_000 : 200_000;
const BA_WORKER_AWAITS = QUICK ? 15_000 : 50_000; // per worker, against 500,000 for the other configurations
// Issue 22: a node:test suite of >= 50 short processes; idle threads.
const SUITE_FILES = QUICK ? 50 : 60;
const SUITE_ROUNDS = QUICK ? 3 : 5;
const IDLE_WORKERS = [16, 64];
const AWAIT_LATE_MS = 1000; // "the await loop" once start-up is over, against the first-second one
const CALLGRIND_STARTUP_ROUNDS = QUICK ? 1 : 3; // whole runs: how far the watchdog got at exit varies

const log = (line) => process.stderr.write(`${line}\n`); // progress on stderr keeps stdout the report

/**
 * Runs a workload that prints one JSON line, for every variant { name: [config, args] }, interleaved
 * over `rounds`. Returns { name: [parsed JSON line + reported (a block was reported) per round] }.
 */
function workloadBench(file, variants, { rounds = ROUNDS, timeoutMs = 120_000 } = {}) {
  return interleave(rounds, Object.keys(variants), async (v) => {
    const [config, args = []] = variants[v];
    const r = await run(config, file, args, { timeoutMs });
    return { ...lastJson(r), reported: r.reported };
  });
}

const pick = (rows, key) => rows.map((r) => r[key]);
const countReported = (rows) => `${rows.filter((r) => r.reported).length}/${rows.length}`;
const rssMb = (rows) => median(pick(rows, 'maxRssKb')) / 1024;

// 1 + 2. Await microbench, fresh and after a captured block, and the peers.
async function awaitBench() {
  log('await microbench...');
  const r = await workloadBench(
    'await.mjs',
    {
      none: ['none'],
      default: ['default'],
      debug: ['debug'],
      hooks: ['hooks'],
      tracesyncio: ['tracesyncio'],
      'none+block': ['none', ['--after-block']],
      'default+block': ['default', ['--after-block']],
      'none@ba': ['none', ['--n', String(BA_AWAITS)]],
      blockedat: ['blockedat', ['--n', String(BA_AWAITS)]],
      'none@late': ['none', ['--delay-ms', String(AWAIT_LATE_MS)]],
      'default@late': ['default', ['--delay-ms', String(AWAIT_LATE_MS)]],
    },
    { timeoutMs: 60_000 },
  );
  const ms = (v) => pick(r[v], 'ms');
  const cpu = (v) => pick(r[v], 'cpuMs');
  return {
    // The loop yields to the event loop every 50,000 awaits; if a stretch still outlasts the threshold
    // the agent rightly reports a block, and its stack sampling is part of what is measured.
    await_loop_reported: countReported(r.default),
    default_await: medianRatio(ms('default'), ms('none')),
    debug_await: medianRatio(ms('debug'), ms('none')),
    hooks_await: medianRatio(ms('hooks'), ms('none')),
    tracesyncio_await: medianRatio(ms('tracesyncio'), ms('none')),
    blockedat_await: medianRatio(ms('blockedat'), ms('none@ba')),
    default_after_block_await: medianRatio(ms('default+block'), ms('none+block')),
    // the plain loop runs right at start-up, in the process's first second; @late after AWAIT_LATE_MS
    default_await_cpu: medianRatio(cpu('default'), cpu('none')),
    default_await_late: medianRatio(ms('default@late'), ms('none@late')),
    default_await_late_cpu: medianRatio(cpu('default@late'), cpu('none@late')),
    await_none_ms: median(ms('none')),
    ranges: {
      default_await: ratioRange(ms('default'), ms('none')),
      default_await_cpu: ratioRange(cpu('default'), cpu('none')),
      default_await_late: ratioRange(ms('default@late'), ms('none@late')),
      default_await_late_cpu: ratioRange(cpu('default@late'), cpu('none@late')),
      default_after_block_await: ratioRange(ms('default+block'), ms('none+block')),
      debug_await: ratioRange(ms('debug'), ms('none')),
    },
    await_ba_none_ms: median(ms('none@ba')),
    await_ba_ms: median(ms('blockedat')),
    rss: { none: rssMb(r.none), default: rssMb(r.default), debug: rssMb(r.debug), blockedat: rssMb(r.blockedat), tracesyncio: rssMb(r.tracesyncio) },
  };
}

// 3. HTTP requests/sec under autocannon, fresh and after a captured block, and the peers.
async function httpRound(config, block) {
  const proc = start(config, 'http-server.mjs', block ? ['--block'] : [], { timeoutMs: (HTTP_SECONDS + 30) * 1000 });
  try {
    const [, port] = await waitForLine(proc, /^port (\d+)$/);
    // Without a captured block this variant would measure nothing new. The report can land after the
    // port line, announced 50 ms after the block (on Node 20 it came ~100 ms past the threshold): wait
    // for it, up to 3 s.
    for (let waited = 0; block && proc.reportDir && !blockReported(proc); waited += 10) {
      if (waited >= 3000) throw new Error(`[${config}] the server's 200 ms block was not reported`);
      await sleep(10);
    }
    // autocannon only checks for the end of the run at each sample: 100 ms samples let a run last 1.5 s.
    const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, duration: HTTP_SECONDS, sampleInt: 100 });
    if (result.errors || result.timeouts || result.non2xx) {
      throw new Error(`[${config}] autocannon: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`);
    }
    return { rps: result.requests.total / result.duration, maxRssKb: peakRssKb(proc.child.pid) };
  } finally {
    proc.child.kill('SIGKILL');
    await proc.done;
  }
}

async function httpBench() {
  log(`HTTP throughput (${HTTP_SECONDS} s per run)...`);
  const variants = ['none', 'default', 'debug', 'blockedat', 'tracesyncio', 'none+block', 'default+block'];
  const r = await interleave(ROUNDS, variants, (v) => {
    const [config, block] = v.split('+');
    return httpRound(config, Boolean(block));
  });
  const rps = (v) => pick(r[v], 'rps');
  const rss = (v) => (r[v].every((x) => x.maxRssKb !== null) ? rssMb(r[v]) : null);
  return {
    default_http: medianRatio(rps('default'), rps('none')),
    debug_http: medianRatio(rps('debug'), rps('none')),
    blockedat_http: medianRatio(rps('blockedat'), rps('none')),
    tracesyncio_http: medianRatio(rps('tracesyncio'), rps('none')),
    default_http_after_block: medianRatio(rps('default+block'), rps('none+block')),
    http_none_rps: median(rps('none')),
    ranges: { default_http: ratioRange(rps('default'), rps('none')), default_http_after_block: ratioRange(rps('default+block'), rps('none+block')) },
    rss: { none: rss('none'), default: rss('default'), debug: rss('debug'), blockedat: rss('blockedat'), tracesyncio: rss('tracesyncio') },
  };
}

// 4. Sync-API-heavy: 100k statSync + 20k readFileSync in one timer callback.
async function syncBench() {
  log('sync-API loop...');
  const configs = ['none', 'default', 'debug', 'blockedat', 'tracesyncio'];
  const r = await workloadBench('sync.mjs', Object.fromEntries(configs.map((c) => [c, [c]])));
  const ms = (v) => pick(r[v], 'ms');
  const cpu = (v) => pick(r[v], 'cpuMs');
  return {
    sync_loop_reported: countReported(r.default),
    default_sync: medianRatio(ms('default'), ms('none')),
    default_sync_cpu: medianRatio(cpu('default'), cpu('none')),
    debug_sync: medianRatio(ms('debug'), ms('none')),
    blockedat_sync: medianRatio(ms('blockedat'), ms('none')),
    tracesyncio_sync: medianRatio(ms('tracesyncio'), ms('none')),
    sync_none_ms: median(ms('none')),
    ranges: { default_sync: ratioRange(ms('default'), ms('none')), default_sync_cpu: ratioRange(cpu('default'), cpu('none')) },
    rss: Object.fromEntries(configs.map((c) => [c, rssMb(r[c])])),
  };
}

// 5. worker_threads: 2 workers x 500,000 awaits, start to both done.
async function workerBench() {
  log('worker_threads...');
  const r = await workloadBench('worker.mjs', {
    none: ['none'],
    default: ['default'],
    debug: ['debug'],
    tracesyncio: ['tracesyncio'],
    'none@ba': ['none', ['--n', String(BA_WORKER_AWAITS)]],
    blockedat: ['blockedat', ['--n', String(BA_WORKER_AWAITS)]],
  });
  const ms = (v) => pick(r[v], 'ms');
  const cpu = (v) => pick(r[v], 'cpuMs');
  return {
    default_worker: medianRatio(ms('default'), ms('none')),
    default_worker_cpu: medianRatio(cpu('default'), cpu('none')),
    ranges: { default_worker: ratioRange(ms('default'), ms('none')), default_worker_cpu: ratioRange(cpu('default'), cpu('none')) },
    debug_worker: medianRatio(ms('debug'), ms('none')),
    tracesyncio_worker: medianRatio(ms('tracesyncio'), ms('none')),
    blockedat_worker: medianRatio(ms('blockedat'), ms('none@ba')),
    worker_none_ms: median(ms('none')),
    rss: { none: rssMb(r.none), default: rssMb(r.default), debug: rssMb(r.debug), blockedat: rssMb(r.blockedat), tracesyncio: rssMb(r.tracesyncio) },
  };
}

// 5b. The libuv pool (parallel readFile + pbkdf2) and messaging (many small postMessages): bench/threads.mjs.
async function threadsBench() {
  return threadsWorkloads(ROUNDS, log);
}

// 5c. A worker transport with the main thread in Atomics.wait (a logging library's sync flush).
async function atomicsBench() {
  log('worker transport, main thread in Atomics.wait...');
  const r = await interleave(ROUNDS, ['none', 'default'], async (c) => {
    const out = await run(c, 'atomics.mjs', [], { timeoutMs: 120_000 });
    return { ...lastJson(out), kinds: [...new Set(out.findings.map((f) => f.kind))].filter((k) => k !== 'summary') };
  });
  const ms = (v) => pick(r[v], 'ms');
  const cpu = (v) => pick(r[v], 'cpuMs');
  return {
    default_atomics: medianRatio(ms('default'), ms('none')),
    default_atomics_cpu: medianRatio(cpu('default'), cpu('none')),
    atomics_none_ms: median(ms('none')),
    atomics_findings: [...new Set(r.default.flatMap((x) => x.kinds))].join(', ') || 'none',
    ranges: { default_atomics: ratioRange(ms('default'), ms('none')), default_atomics_cpu: ratioRange(cpu('default'), cpu('none')) },
  };
}

// 6. Start-up: spawn-to-exit of a script that does nothing; and, in runs of their own under bash (whose
// `times` gives the CPU of every thread of the child however short it lived), its CPU time.
async function startupBench() {
  log('start-up...');
  const r = await interleave(STARTUP_ROUNDS, ['none', 'default', 'none@cpu', 'default@cpu'], (v) => {
    const [c, cpu] = v.split('@');
    return run(c, 'empty.mjs', [], { childCpu: Boolean(cpu) });
  });
  const ms = (v) => pick(r[v], 'ms');
  const cpu = (v) => pick(r[v], 'cpuMs');
  return {
    startup_ms: medianDiff(ms('default'), ms('none')),
    startup_none_ms: median(ms('none')),
    startup_cpu_ms: medianDiff(cpu('default@cpu'), cpu('none@cpu')),
    startup_none_cpu_ms: median(cpu('none@cpu')),
    ranges: { startup_ms: diffRange(ms('default'), ms('none')), startup_cpu_ms: diffRange(cpu('default@cpu'), cpu('none@cpu')) },
  };
}

// 7. Resident memory of an idle process, and the CPU it uses while idle (% of one core, all threads:
// the agent's heartbeat and watchdog wake up while the app sleeps).
async function rssBench() {
  log('idle RSS and CPU...');
  const rows = await interleave(ROUNDS, ['none', 'default'], async (c) => JSON.parse((await run(c, 'rss.mjs')).stdout.trim()));
  const rss = { none: rows.none.map((x) => x.rss / 2 ** 20), default: rows.default.map((x) => x.rss / 2 ** 20) };
  const cpu = { none: rows.none.map((x) => (100 * x.idleCpuMs) / x.idleMs), default: rows.default.map((x) => (100 * x.idleCpuMs) / x.idleMs) };
  return {
    default_rss_mb: medianDiff(rss.default, rss.none),
    rss_none_mb: median(rss.none),
    default_idle_cpu_pct: medianDiff(cpu.default, cpu.none),
    idle_cpu_none_pct: median(cpu.none),
    idle_by_thread: idleGroups(rows),
    ranges: { default_rss_mb: diffRange(rss.default, rss.none), default_idle_cpu_pct: diffRange(cpu.default, cpu.none) },
  };
}

/**
 * Where idle CPU went, in % of one core (medians over rounds), per configuration: the main thread, the
 * app's own worker threads, all other threads, and the busiest of those (see workloads/cpu.mjs).
 */
function idleGroups(rows) {
  const pct = (x, k) => (100 * x.byGroup[k]) / x.idleMs;
  return Object.fromEntries(
    Object.entries(rows).map(([c, xs]) => [
      c,
      { ...Object.fromEntries(['main', 'app', 'other', 'otherMax'].map((k) => [k, median(xs.map((x) => pct(x, k)))])), otherThreads: median(xs.map((x) => x.byGroup.otherThreads)) },
    ]),
  );
}

// 7b. Idle CPU with N idle worker threads (issue 22: <= 0.05 % of a core per extra idle thread over
// the process's 0.5 %), all the process's threads, default - none, % of one core.
async function idleWorkersBench() {
  const res = { idle_by_workers: {}, ranges: {} };
  for (const n of IDLE_WORKERS) {
    log(`idle CPU with ${n} idle workers...`);
    const rows = await interleave(ROUNDS, ['none', 'default'], async (c) => lastJson(await run(c, 'idle-workers.mjs', ['--workers', String(n)], { timeoutMs: 120_000 })));
    const cpu = (c) => rows[c].map((x) => (100 * x.idleCpuMs) / x.idleMs);
    res[`default_idle${n}_cpu_pct`] = medianDiff(cpu('default'), cpu('none'));
    res.ranges[`default_idle${n}_cpu_pct`] = diffRange(cpu('default'), cpu('none'));
    res.idle_by_workers[n] = idleGroups(rows);
  }
  return res;
}

// 7c. A node:test suite of SUITE_FILES short processes (bench/suite.mjs, a child of its own): CPU of all
// its processes and wall time, agent / none. The script and its process tree form one process group,
// killed whole if it overruns.
async function suiteBench() {
  log(`node:test suite of ${SUITE_FILES} files, ${SUITE_ROUNDS} rounds...`);
  const script = fileURLToPath(new URL('./suite.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, '--files', String(SUITE_FILES), '--rounds', String(SUITE_ROUNDS)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 30 * 60_000);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(c ?? signal));
  });
  clearTimeout(timer);
  if (code !== 0) throw new Error(`bench/suite.mjs exited ${code}: ${stderr.trim()}`);
  const r = lastJson({ stdout });
  return {
    suite_cpu: r.cpu,
    suite_wall: r.wall,
    suite_files: r.files,
    suite_rounds: r.rounds,
    suite_none_wall_ms: r.none.wall,
    suite_per_process_cpu_ms: r.perProcessMs,
    ranges: { suite_cpu: r.ranges.cpu, suite_wall: r.ranges.wall },
  };
}

// 7d. Instructions under callgrind (bench/callgrind.mjs): start-up, await, sync-API and pool workloads,
// agent vs none, the steady figure on a shared box. Skipped (n/a) without valgrind.
async function callgrindBench() {
  if (!hasValgrind()) {
    log('callgrind: valgrind not found, skipped');
    return {};
  }
  const r = await countInstructions({ startupRounds: CALLGRIND_STARTUP_ROUNDS, log });
  const s = r.startup;
  return {
    startup_ir: s.default.total / s.none.total,
    startup_ir_added_m: (s.default.total - s.none.total) / 1e6,
    startup_ir_main_added_m: (s.default.main - s.none.main) / 1e6,
    await_ir: r.await.ratio,
    sync_ir: r.sync.ratio,
    pool_ir: r.pool.ratio,
    callgrind: r,
  };
}

// 8. Detection latency: from the block's start to the first report on disk (asyncdebug: a "block" line
// in its JSON Lines report; blocked-at: a line from its preload), less the threshold. The files are
// polled every 2 ms, so up to 2 ms of the result is the poll's.
async function latencyOnce(config, arg) {
  const proc = start(config, 'block.mjs', [arg], { timeoutMs: 10_000 });
  let seen = null;
  const poll = setInterval(() => {
    if (seen === null && blockReported(proc)) seen = Date.now();
  }, 2);
  let blockStart;
  try {
    const [, t] = await waitForLine(proc, /^blockStart (\d+)$/);
    blockStart = Number(t);
    if (arg === 'forever') {
      await sleep(1500);
      proc.child.kill('SIGKILL');
    }
    const r = await proc.done;
    if (arg !== 'forever' && r.code !== 0) throw new Error(`block.mjs ${arg} [${config}] exited ${r.code ?? r.signal}: ${r.stderr}`);
    if (seen === null) await sleep(20); // a report written just before exit: one more look
    if (seen === null && blockReported(proc)) seen = Date.now();
  } finally {
    clearInterval(poll);
    proc.child.kill('SIGKILL');
  }
  // A block never reported is an unbounded latency: it must fail, not vanish from the worst case.
  return seen === null ? Infinity : seen - blockStart - SLOW_MS;
}

async function latencyBench() {
  log('detection latency...');
  const cases = ['150', '300', '1000', 'forever', '300@2000'];
  const worst = { default: {}, blockedat: {} };
  for (const c of cases) for (const config of Object.keys(worst)) worst[config][c] = -Infinity;
  for (let r = 0; r < LATENCY_ROUNDS; r++) {
    for (const c of cases) {
      for (const config of Object.keys(worst)) worst[config][c] = Math.max(worst[config][c], await latencyOnce(config, c));
    }
  }
  return { latency_ms: Math.max(...Object.values(worst.default)), latency_by_block: worst.default, blockedat_latency_by_block: worst.blockedat };
}

// 9. Memory over 1M promises (all pending at once), debug mode against plain node.
async function promisesBench() {
  log('1M promises...');
  // Debug mode's budget is on its own share: over empty promise hooks (V8's floor once any hook is on).
  const r = await interleave(MEMORY_ROUNDS, ['none', 'debug', 'hooks'], async (c) => lastJson(await run(c, 'promises.mjs', [], { nodeArgs: ['--expose-gc'], timeoutMs: 60_000 })));
  return {
    debug_1m_promises_peak_mb: medianDiff(pick(r.debug, 'maxRssKb'), pick(r.none, 'maxRssKb')) / 1024,
    debug_1m_promises_after_mb: medianDiff(pick(r.debug, 'afterMb'), pick(r.none, 'afterMb')),
    hooks_1m_promises_peak_mb: medianDiff(pick(r.hooks, 'maxRssKb'), pick(r.none, 'maxRssKb')) / 1024,
    debug_1m_promises_peak_over_hooks_mb: medianDiff(pick(r.debug, 'maxRssKb'), pick(r.hooks, 'maxRssKb')) / 1024,
    promises_none_peak_mb: rssMb(r.none),
    ranges: { debug_1m_promises_peak_over_hooks_mb: diffRange(pick(r.debug, 'maxRssKb'), pick(r.hooks, 'maxRssKb')).map((x) => x / 1024) },
  };
}

// 10. Soak: debug mode keeps creating and settling promises for SOAK_SECONDS; RSS sampled every second.
// Flat = the median of the last quarter of the samples is at most 10 % above that of the first quarter.
// V8 starts the young generation small and doubles it as the allocation rate stays high (heapTotal 8 ->
// 12 -> 20 -> 36 MB over the first ~30 s, in plain node too): that growth would read as a leak in a
// short soak, so the young generation starts at its default maximum (16 MB semi-spaces on 64-bit).
const SOAK_NODE_ARGS = ['--min-semi-space-size=16'];
async function soakBench() {
  log(`debug-mode soak (${SOAK_SECONDS} s)...`);
  const r = lastJson(
    await run('debug', 'soak.mjs', ['--seconds', String(SOAK_SECONDS)], { nodeArgs: SOAK_NODE_ARGS, timeoutMs: (SOAK_SECONDS + 60) * 1000 }),
  );
  const s = r.samplesMb;
  const q = Math.max(1, Math.floor(s.length / 4));
  const first = median(s.slice(0, q));
  const last = median(s.slice(s.length - q));
  return {
    soak_seconds: SOAK_SECONDS,
    soak_first_mb: first,
    soak_last_mb: last,
    soak_max_mb: Math.max(...s),
    soak_growth_pct: ((last - first) / first) * 100,
  };
}

// Issue 22's goals, asyncdebug default against no agent. Each goal has its figures in order, the steady
// one first: instructions under callgrind where they are counted (ratio), else the CPU time of all the
// process's threads; then wall time. Each figure in the goal's unit gets PASS/FAIL against its limit, and
// the goal's verdict is that of its first such figure with a value (a figure in another unit is shown
// only). Figure kinds: ir, cpu, wall, mem (RSS), time (detection latency).
const GOALS = [
  { key: 'startup', label: 'start-up of an empty script, added', limit: 15, unit: 'ms', figures: [['cpu', 'startup_cpu_ms'], ['wall', 'startup_ms'], ['ir', 'startup_ir', 'x']] },
  { key: 'suite', label: `node:test suite of ${SUITE_FILES} short processes`, limit: 1.1, unit: 'x', figures: [['cpu', 'suite_cpu'], ['wall', 'suite_wall']] },
  { key: 'idle_cpu', label: 'idle CPU of the process (% of one core), added', limit: 0.5, unit: '%', figures: [['cpu', 'default_idle_cpu_pct']] },
  ...IDLE_WORKERS.map((n) => ({
    key: `idle${n}`,
    label: `idle CPU with ${n} idle workers (% of one core), added`,
    limit: n === 64 ? 4 : Math.round((0.5 + 0.05 * n) * 100) / 100, // 0.5 % + 0.05 % per idle thread; 64: "<= 4 % in all"
    unit: '%',
    figures: [['cpu', `default_idle${n}_cpu_pct`]],
  })),
  { key: 'sync', label: 'sync-API loop', limit: 1.05, unit: 'x', figures: [['ir', 'sync_ir'], ['cpu', 'default_sync_cpu'], ['wall', 'default_sync']] },
  { key: 'pool', label: 'thread pool: readFile + pbkdf2', limit: 1.05, unit: 'x', figures: [['ir', 'pool_ir'], ['cpu', 'default_pool_cpu'], ['wall', 'default_pool']] },
  { key: 'workers', label: 'workers, 2 x 500k awaits', limit: 1.05, unit: 'x', figures: [['cpu', 'default_worker_cpu'], ['wall', 'default_worker']] },
  { key: 'await', label: `await loop, 2M awaits after ${AWAIT_LATE_MS / 1000} s`, limit: 1.05, unit: 'x', figures: [['ir', 'await_ir'], ['cpu', 'default_await_late_cpu'], ['wall', 'default_await_late']] },
  { key: 'messages', label: 'messaging, 100k small postMessages', limit: 1.05, unit: 'x', figures: [['cpu', 'default_messages_cpu'], ['wall', 'default_messages']] },
  { key: 'atomics', label: 'worker transport, main thread in Atomics.wait', limit: 1.05, unit: 'x', figures: [['cpu', 'default_atomics_cpu'], ['wall', 'default_atomics']] },
  { key: 'rss', label: 'idle RSS, added', limit: 8, unit: 'MB', figures: [['mem', 'default_rss_mb']] },
  { key: 'latency', label: 'block detection latency (worst)', limit: 20, unit: 'ms', figures: [['time', 'latency_ms']] },
  { key: 'await_first_second', label: 'await loop, 2M awaits in the first second', limit: 1.05, unit: 'x', figures: [['cpu', 'default_await_cpu'], ['wall', 'default_await']] },
];
const FIGURE_LABELS = {
  ir: 'instructions (callgrind)',
  cpu: 'CPU, all threads',
  wall: 'wall time',
  mem: 'RSS',
  time: 'latency',
};

// The other budgets: one figure each.
const BUDGETS = {
  default_after_block_await: ['<=', 1.05],
  default_http: ['>=', 0.97],
  default_http_after_block: ['>=', 0.97],
  soak_growth_pct: ['<=', 10],
  debug_await: ['<=', 5],
  debug_http: ['>=', 0.7],
  debug_1m_promises_peak_over_hooks_mb: ['<=', 30],
  debug_1m_promises_after_mb: ['<=', 30],
};
const BUDGET_LABELS = {
  default_after_block_await: ['await loop after a block, default / none', 'x'],
  default_http: ['HTTP req/s, default / none', 'x'],
  default_http_after_block: ['HTTP req/s after a block, default / none', 'x'],
  soak_growth_pct: ['debug-mode soak RSS growth', '%'],
  debug_await: ['await loop, debug / none', 'x'],
  debug_http: ['HTTP req/s, debug / none', 'x'],
  debug_1m_promises_peak_over_hooks_mb: ['1M promises peak RSS, debug - empty hooks', 'MB'],
  debug_1m_promises_after_mb: ['1M promises RSS after release, debug - none', 'MB'],
};

// The ratio table: one row per workload, one column per configuration; the JSON key of each cell.
const PEERS = ['default', 'debug', 'blockedat', 'tracesyncio'];
const RATIO_ROWS = [
  ['await loop, 2M awaits (time)', 'await', { default: 'default_await', debug: 'debug_await', blockedat: 'blockedat_await', tracesyncio: 'tracesyncio_await' }],
  ['await loop after a block (time)', 'await', { default: 'default_after_block_await' }],
  [`await loop after ${AWAIT_LATE_MS / 1000} s (time)`, 'await', { default: 'default_await_late' }],
  ['await loop, empty promise hooks (time)', 'await', { debug: 'hooks_await' }],
  ['HTTP hello world (req/s)', 'http', { default: 'default_http', debug: 'debug_http', blockedat: 'blockedat_http', tracesyncio: 'tracesyncio_http' }],
  ['HTTP after a block (req/s)', 'http', { default: 'default_http_after_block' }],
  ['sync-API loop (time)', 'sync', { default: 'default_sync', debug: 'debug_sync', blockedat: 'blockedat_sync', tracesyncio: 'tracesyncio_sync' }],
  ['libuv pool: readFile + pbkdf2 (time)', 'pool', { default: 'default_pool', debug: 'debug_pool' }],
  ['100k small postMessages (time)', 'messages', { default: 'default_messages', debug: 'debug_messages' }],
  ['worker_threads, 2 x 500k awaits (time)', 'worker', { default: 'default_worker', debug: 'debug_worker', blockedat: 'blockedat_worker', tracesyncio: 'tracesyncio_worker' }],
  ['transport, main in Atomics.wait (time)', 'atomics', { default: 'default_atomics' }],
];

const round3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
const fmtLatency = (ms) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'never');
const table = (header, rows) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].map((l) => l.trimEnd());
};

function machine() {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  let nproc;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    nproc = availableParallelism();
  }
  return { nproc, cpu, node: process.version };
}

/**
 * Which agent was measured: the commit, whether src/ had uncommitted changes, and when dist/ (what the
 * children load) was last built. Others may rebuild dist/ while a run goes on; this is its state at the end.
 */
function agentBuild() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const git = (...a) => {
    try {
      return execFileSync('git', a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'src');
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  try {
    walk(`${root}dist`);
  } catch {
    // no dist: the children would have failed already
  }
  return `commit ${commit ?? 'unknown'}${dirty ? ' with uncommitted changes in src/' : ''}, dist/ built ${newest ? new Date(newest).toISOString() : 'unknown'}`;
}

/**
 * Writes this run's report into RESULTS.md between markers of its own Node major version, so that runs on
 * several Node versions each keep their block: a block of the same major is replaced (or the one block of
 * the older, version-less markers, if it was written by the same major), a new major's block goes after
 * the last block. Everything outside the markers is kept.
 */
function writeResults(lines, res, command) {
  const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
  const major = process.versions.node.split('.')[0];
  const START = `<!-- bench:results:start node${major} -->`;
  const END = `<!-- bench:results:end node${major} -->`;
  const LEGACY = ['<!-- bench:results:start -->', '<!-- bench:results:end -->'];
  const m = res.machine;
  const block = [
    START,
    `<!-- written by \`node bench/run.mjs --write-results\` on Node ${major}; everything outside these two markers is kept -->`,
    '',
    `- Date: ${res.date}`,
    `- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}; load average ${res.load_start.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min) at the start`,
    `- Node: ${m.node}`,
    `- Agent: ${res.agent}`,
    `- Command: \`${command}\` (${QUICK ? 'the --quick run' : 'a full run'}, ${res.seconds} s)`,
    '',
    '```text',
    ...lines,
    '```',
    END,
  ].join('\n');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmark results\n';
  }
  const span = ([start, end]) => {
    const a = text.indexOf(start);
    const b = a >= 0 ? text.indexOf(end, a) : -1;
    return b > a ? [a, b + end.length] : null;
  };
  const legacy = span(LEGACY);
  const own = span([START, END]) ?? (legacy && text.slice(...legacy).includes(`- Node: v${major}.`) ? legacy : null);
  if (own) text = text.slice(0, own[0]) + block + text.slice(own[1]);
  else {
    const ends = [...text.matchAll(/<!-- bench:results:end[^>]*-->/g)];
    const at = ends.length ? ends.at(-1).index + ends.at(-1)[0].length : -1;
    text = at >= 0 ? `${text.slice(0, at)}\n\n${block}${text.slice(at)}` : `${text.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(file, text);
  log(`wrote ${file}`);
}

try {
  const t0 = Date.now();
  const loadStart = loadavg();
  const parts = [
    awaitBench,
    httpBench,
    syncBench,
    workerBench,
    threadsBench,
    atomicsBench,
    startupBench,
    rssBench,
    idleWorkersBench,
    latencyBench,
    promisesBench,
    suiteBench,
    callgrindBench,
    soakBench,
  ].filter((part) => !ONLY || ONLY.includes(part.name.replace(/Bench$/, '')));
  if (ONLY && parts.length !== ONLY.length) throw new Error(`--only: unknown part in ${ONLY.join(',')}`);
  const res = {};
  const rss = {};
  const ranges = {};
  for (const part of parts) {
    const tp = Date.now();
    const { rss: partRss, ranges: partRanges, ...r } = await part();
    log(`  ${part.name}: ${((Date.now() - tp) / 1000).toFixed(1)} s`);
    Object.assign(res, r);
    Object.assign(ranges, partRanges);
    if (partRss) rss[part.name.replace('Bench', '')] = partRss;
    await sleep(200); // let the last child's exit and the parent's clean-up settle before the next part
  }
  if (ONLY) {
    console.log(JSON.stringify({ node: process.version, agent: agentBuild(), ...res, ranges }, null, 1));
    process.exit(0);
  }
  res.machine = machine();
  res.agent = agentBuild();
  res.date = new Date().toISOString();
  res.seconds = Math.round((Date.now() - t0) / 1000);
  res.load_start = loadStart;

  const out = [];
  const say = (line = '') => out.push(line);
  let failed = false;
  const verdicts = {};

  say(`asyncdebug bench${QUICK ? ' (quick)' : ''}: node ${process.version}, ${res.machine.nproc} CPUs, ${ROUNDS} rounds, ${HTTP_SECONDS} s of HTTP load per run, ${res.seconds} s in all`);
  say(`agent: ${res.agent}`);
  say(`load average at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  say(`baselines (no agent): await loop ${res.await_none_ms.toFixed(0)} ms, HTTP ${res.http_none_rps.toFixed(0)} req/s, sync loop ${res.sync_none_ms.toFixed(0)} ms, workers ${res.worker_none_ms.toFixed(0)} ms, pool ${res.pool_none_ms.toFixed(0)} ms, messages ${res.messages_none_ms.toFixed(0)} ms, start-up ${res.startup_none_ms.toFixed(0)} ms (CPU ${res.startup_none_cpu_ms.toFixed(0)} ms), idle RSS ${res.rss_none_mb.toFixed(1)} MB,`);
  say(`  transport ${res.atomics_none_ms.toFixed(0)} ms, node:test suite of ${res.suite_files} files ${(res.suite_none_wall_ms / 1000).toFixed(1)} s (${res.suite_rounds} rounds; +${res.suite_per_process_cpu_ms.toFixed(1)} ms of CPU per process with the agent)`);
  say();
  say('Against no agent (time: > 1 is slower; req/s: < 1 is slower), medians of per-round ratios:');
  for (const l of table(
    ['workload', ...PEERS.map((c) => CONFIG_LABELS[c])],
    RATIO_ROWS.map(([label, , keys]) => [
      label,
      ...PEERS.map((c) => (keys[c] ? `${res[keys[c]].toFixed(3)}${c === 'blockedat' && keys[c].match(/await|worker/) ? '*' : ''}` : '')),
    ]),
  )) say(`  ${l}`);
  say(`  * blocked-at ran ${BA_AWAITS.toLocaleString('en')} awaits (${res.await_ba_ms.toFixed(0)} ms, no agent ${res.await_ba_none_ms.toFixed(0)} ms; 2M would take it ~${((res.await_ba_ms / BA_AWAITS) * 2e6 / 1000).toFixed(0)} s)`);
  say(`    and 2 x ${BA_WORKER_AWAITS.toLocaleString('en')} awaits in the workers, each against no agent on the same count`);
  say(`  findings of asyncdebug default in the pool workload: ${res.pool_findings}; in the messaging workload: ${res.messages_findings}`);
  say(`  asyncdebug default reported the await loop as a block in ${res.await_loop_reported} runs, the sync loop (${res.sync_none_ms.toFixed(0)} ms in one timer callback) in ${res.sync_loop_reported}`);
  say();

  // A range on both sides of the limit means single rounds disagree: the verdict is the median's.
  const rangeText = (key, op, limit, f) => {
    const r = ranges[key];
    if (!r) return '';
    const straddles = op === '<=' ? r[0] <= limit && r[1] > limit : r[0] < limit && r[1] >= limit;
    return `[${f(r[0])}..${f(r[1])}]${straddles ? ' rounds on both sides of the limit' : ''}`;
  };
  const fmt = (unit) => (x) => (!Number.isFinite(x) ? 'never' : unit === 'x' ? x.toFixed(3) : x.toFixed(unit === '%' ? 2 : 1));

  say(`Issue 22 goals, asyncdebug default against no agent (medians; in brackets the lowest and highest round).`);
  say(`Each goal's first figure is the steady one and gives its verdict: instructions under callgrind where counted,`);
  say(`else the CPU time of all the process's threads; wall time follows with its own PASS/FAIL:`);
  const goalVerdicts = {};
  for (const g of GOALS) {
    const lines = [];
    let verdict = null;
    for (const [kind, key, figUnit = g.unit] of g.figures) {
      const v = res[key];
      const f = fmt(figUnit);
      const sign = figUnit !== 'x' && figUnit !== '%' && kind !== 'time' && Number.isFinite(v) && v >= 0 ? '+' : ''; // an added amount
      let text = v === undefined ? 'n/a' : `${sign}${f(v)} ${figUnit}`;
      if (v !== undefined && figUnit === g.unit) {
        const ok = Number.isFinite(v) && v <= g.limit;
        verdicts[key] = ok ? 'PASS' : 'FAIL';
        verdict ??= verdicts[key];
        text = `${text.padStart(10)}  ${verdicts[key]}  ${rangeText(key, '<=', g.limit, f)}`;
      } else if (kind === 'ir' && key === 'startup_ir' && v !== undefined) {
        text = `${text.padStart(10)}  (not in ms: +${res.startup_ir_added_m.toFixed(1)} M instructions, main thread +${res.startup_ir_main_added_m.toFixed(1)} M)`;
      } else text = text.padStart(10);
      lines.push(`      ${FIGURE_LABELS[kind].padEnd(26)} ${text}`.trimEnd());
    }
    goalVerdicts[g.key] = verdict ?? 'FAIL';
    failed ||= goalVerdicts[g.key] !== 'PASS';
    say(`  ${g.label.padEnd(56)} <= ${g.unit === 'x' ? g.limit.toFixed(2) : `${g.limit} ${g.unit}`}`.padEnd(72) + goalVerdicts[g.key]);
    for (const l of lines) say(l);
  }
  const ir = res.callgrind;
  if (ir) {
    const per = (w) => (ir[w].default.total - ir[w].none.total) / CALLGRIND_WORK[w].per;
    say(`  instructions added: ${per('await').toFixed(0)} per await, ${per('sync').toFixed(0)} per sync call, ${(per('pool') / 1e6).toFixed(1)} M per pool round (400 reads + 8 hashes);`);
    say(`    main thread alone: await ${(ir.await.default.main / ir.await.none.main).toFixed(3)}x, sync ${(ir.sync.default.main / ir.sync.none.main).toFixed(3)}x, pool ${(ir.pool.default.main / ir.pool.none.main).toFixed(3)}x`);
  }
  say(`  findings of asyncdebug default in the transport workload: ${res.atomics_findings}`);
  say();

  say('Idle CPU by thread, % of one core (medians; "other": V8\'s, libuv\'s and the agent\'s own threads, the busiest alone in brackets):');
  const idleRow = (label, g) => {
    const p = (x) => x.toFixed(2);
    const cell = (c) => `main ${p(g[c].main)}${g[c].app || c === 'default' ? `, workers ${p(g[c].app)}` : ''}, other ${p(g[c].other)} (${p(g[c].otherMax)} of ${g[c].otherThreads})`;
    say(`  ${label}: no agent ${cell('none')}; asyncdebug default ${cell('default')}`);
  };
  idleRow('idle process', res.idle_by_thread);
  for (const n of IDLE_WORKERS) idleRow(`${n} idle workers`, res.idle_by_workers[n]);
  say();

  say('Other budgets (median; in brackets the lowest and highest single round):');
  for (const [key, [op, limit]] of Object.entries(BUDGETS)) {
    const [label, unit] = BUDGET_LABELS[key];
    const v = res[key];
    const ok = Number.isFinite(v) && (op === '<=' ? v <= limit : v >= limit);
    failed ||= !ok;
    verdicts[key] = ok ? 'PASS' : 'FAIL';
    const f = (x) => (!Number.isFinite(x) ? 'never' : unit === 'x' ? x.toFixed(3) : x.toFixed(1));
    say(`  ${label.padEnd(42)} ${`${f(v)} ${unit}`.padStart(10)}  ${`${verdicts[key]} (${op} ${limit}${unit === 'x' ? '' : ` ${unit}`})`.padEnd(17)} ${rangeText(key, op, limit, f)}`.trimEnd());
  }
  say();

  say(`Detection latency, block start to report on disk, minus the ${SLOW_MS} ms threshold (worst of ${LATENCY_ROUNDS}):`);
  for (const l of table(
    ['planted block', 'asyncdebug default', 'blocked-at'],
    Object.keys(res.latency_by_block).map((b) => [b === 'forever' ? 'infinite loop' : b.includes('@') ? `${b.split('@')[0]} ms, resting` : `${b} ms`, fmtLatency(res.latency_by_block[b]), fmtLatency(res.blockedat_latency_by_block[b])]),
  )) say(`  ${l}`);
  say('  (blocked-at reports when the blocking callback returns, so its latency is at least the block minus the threshold)');
  say();

  say('Peak RSS (MB, maxRSS of the process, medians; * = blocked-at on the smaller counts above):');
  const workloads = ['await', 'http', 'sync', 'worker'];
  for (const l of table(
    ['config', ...workloads],
    ['none', ...PEERS].map((c) => [
      CONFIG_LABELS[c],
      ...workloads.map((w) => (rss[w]?.[c] == null ? 'n/a' : `${rss[w][c].toFixed(1)}${c === 'blockedat' && (w === 'await' || w === 'worker') ? '*' : ''}`)),
    ]),
  )) say(`  ${l}`);
  say(`  1M pending promises, debug - none: peak ${res.debug_1m_promises_peak_mb.toFixed(1)} MB (none peaks at ${res.promises_none_peak_mb.toFixed(0)} MB), after release and GC ${res.debug_1m_promises_after_mb.toFixed(1)} MB`);
  say(`    of the peak, empty promise hooks alone (V8 with any hook on) ${res.hooks_1m_promises_peak_mb.toFixed(1)} MB; debug mode over them ${res.debug_1m_promises_peak_over_hooks_mb.toFixed(1)} MB`);
  say(`  debug-mode soak, ${res.soak_seconds} s: RSS first quarter ${res.soak_first_mb.toFixed(1)} MB, last quarter ${res.soak_last_mb.toFixed(1)} MB (${res.soak_growth_pct >= 0 ? '+' : ''}${res.soak_growth_pct.toFixed(1)} %), max ${res.soak_max_mb.toFixed(1)} MB`);
  say();

  const json = {
    node: process.version,
    date: res.date,
    agent: res.agent,
    nproc: res.machine.nproc,
    cpu: res.machine.cpu,
    quick: QUICK,
    rounds: ROUNDS,
    seconds: res.seconds,
    pass: !failed,
    budgets: verdicts,
    goals: goalVerdicts, // issue 22: each goal's verdict, on its first figure
  };
  for (const [, , keys] of RATIO_ROWS) for (const k of Object.values(keys)) json[k] = round3(res[k]);
  for (const k of ['startup_ms', 'default_rss_mb', 'default_idle_cpu_pct', 'latency_ms', 'soak_growth_pct', 'soak_seconds', 'debug_1m_promises_peak_mb', 'debug_1m_promises_after_mb', 'hooks_1m_promises_peak_mb', 'debug_1m_promises_peak_over_hooks_mb']) {
    json[k] = round3(res[k]);
  }
  const byBlock = (o) => Object.fromEntries(Object.entries(o).map(([b, v]) => [b, round3(v)]));
  json.latency_by_block = byBlock(res.latency_by_block);
  json.blockedat_latency_by_block = byBlock(res.blockedat_latency_by_block); // null: never reported
  json.peak_rss_mb = Object.fromEntries(['none', ...PEERS].map((c) => [c, Object.fromEntries(workloads.map((w) => [w, round3(rss[w]?.[c] ?? NaN)]))]));
  json.ranges = Object.fromEntries(Object.entries(ranges).map(([k, [lo, hi]]) => [k, [round3(lo), round3(hi)]]));
  json.blockedat_awaits = BA_AWAITS;
  json.blockedat_worker_awaits = BA_WORKER_AWAITS;
  for (const g of GOALS) for (const [, k] of g.figures) json[k] = round3(res[k] ?? NaN);
  for (const k of ['startup_ir_added_m', 'startup_ir_main_added_m', 'suite_per_process_cpu_ms', 'suite_files', 'suite_rounds']) json[k] = round3(res[k] ?? NaN);
  json.atomics_findings = res.atomics_findings;
  const pcts = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'object' ? pcts(v) : round3(v)]));
  json.idle_by_thread = pcts(res.idle_by_thread);
  json.idle_by_workers = pcts(res.idle_by_workers);
  json.callgrind = res.callgrind ?? null; // instructions per configuration and workload (total, main thread)

  for (const line of out) console.log(line);
  console.log(JSON.stringify(json));
  if (WRITE_RESULTS) writeResults(out, res, `node bench/run.mjs ${argv.join(' ')}`.trim());
  if (failed) process.exitCode = 1;
} finally {
  cleanup();
}
