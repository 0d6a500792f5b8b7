// Benchmarks of the asyncdebug agent, side by side with its peers:
//   node bench/run.mjs [--quick] [--soak-seconds N] [--write-results]
// Configurations: no agent, asyncdebug default mode, debug mode, blocked-at (as a preload), and
// `node --trace-sync-io`. The box is shared and noisy, so every number is relative to plain node
// measured in the same run: fresh child per measurement, configurations interleaved round by round
// (rotated each round), medians over rounds of the per-round ratio or difference.
// Prints tables with PASS/FAIL per budget, then, last, one JSON line. Exit status 1 if a budget fails.
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
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

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const WRITE_RESULTS = argv.includes('--write-results');
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
    },
    { timeoutMs: 60_000 },
  );
  const ms = (v) => pick(r[v], 'ms');
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
    await_none_ms: median(ms('none')),
    ranges: {
      default_await: ratioRange(ms('default'), ms('none')),
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
    if (block && proc.reportDir && !blockReported(proc)) {
      // Without a captured block this variant would measure nothing new.
      throw new Error(`[${config}] the server's 200 ms block was not reported`);
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
  return {
    sync_loop_reported: countReported(r.default),
    default_sync: medianRatio(ms('default'), ms('none')),
    debug_sync: medianRatio(ms('debug'), ms('none')),
    blockedat_sync: medianRatio(ms('blockedat'), ms('none')),
    tracesyncio_sync: medianRatio(ms('tracesyncio'), ms('none')),
    sync_none_ms: median(ms('none')),
    ranges: { default_sync: ratioRange(ms('default'), ms('none')) },
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
  return {
    default_worker: medianRatio(ms('default'), ms('none')),
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

// 6. Start-up: spawn-to-exit of a script that does nothing.
async function startupBench() {
  log('start-up...');
  const ms = await interleave(STARTUP_ROUNDS, ['none', 'default'], async (c) => (await run(c, 'empty.mjs')).ms);
  return { startup_ms: medianDiff(ms.default, ms.none), startup_none_ms: median(ms.none), ranges: { startup_ms: diffRange(ms.default, ms.none) } };
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
    ranges: { default_rss_mb: diffRange(rss.default, rss.none), default_idle_cpu_pct: diffRange(cpu.default, cpu.none) },
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
  const cases = ['150', '300', '1000', 'forever'];
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

const BUDGETS = {
  default_await: ['<=', 1.05],
  default_after_block_await: ['<=', 1.05],
  default_http: ['>=', 0.97],
  default_http_after_block: ['>=', 0.97],
  default_sync: ['<=', 1.05],
  default_pool: ['<=', 1.05],
  default_messages: ['<=', 1.05],
  startup_ms: ['<=', 20],
  default_rss_mb: ['<=', 14],
  default_idle_cpu_pct: ['<=', 3],
  latency_ms: ['<=', 50],
  soak_growth_pct: ['<=', 10],
  debug_await: ['<=', 5],
  debug_http: ['>=', 0.7],
  debug_1m_promises_peak_over_hooks_mb: ['<=', 30],
  debug_1m_promises_after_mb: ['<=', 30],
};
const BUDGET_LABELS = {
  default_await: ['await loop, default / none', 'x'],
  default_after_block_await: ['await loop after a block, default / none', 'x'],
  default_http: ['HTTP req/s, default / none', 'x'],
  default_http_after_block: ['HTTP req/s after a block, default / none', 'x'],
  default_sync: ['sync-API loop, default / none', 'x'],
  default_pool: ['thread-pool workload, default / none', 'x'],
  default_messages: ['messaging workload, default / none', 'x'],
  startup_ms: ['start-up, default - none', 'ms'],
  default_rss_mb: ['idle RSS, default - none', 'MB'],
  default_idle_cpu_pct: ['idle CPU, default - none (% of one core)', '%'],
  latency_ms: ['block detection latency (worst)', 'ms'],
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
  ['await loop, empty promise hooks (time)', 'await', { debug: 'hooks_await' }],
  ['HTTP hello world (req/s)', 'http', { default: 'default_http', debug: 'debug_http', blockedat: 'blockedat_http', tracesyncio: 'tracesyncio_http' }],
  ['HTTP after a block (req/s)', 'http', { default: 'default_http_after_block' }],
  ['sync-API loop (time)', 'sync', { default: 'default_sync', debug: 'debug_sync', blockedat: 'blockedat_sync', tracesyncio: 'tracesyncio_sync' }],
  ['libuv pool: readFile + pbkdf2 (time)', 'pool', { default: 'default_pool', debug: 'debug_pool' }],
  ['100k small postMessages (time)', 'messages', { default: 'default_messages', debug: 'debug_messages' }],
  ['worker_threads, 2 x 500k awaits (time)', 'worker', { default: 'default_worker', debug: 'debug_worker', blockedat: 'blockedat_worker', tracesyncio: 'tracesyncio_worker' }],
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

function writeResults(lines, res, command) {
  const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
  const START = '<!-- bench:results:start -->';
  const END = '<!-- bench:results:end -->';
  const m = res.machine;
  const block = [
    START,
    `<!-- written by \`node bench/run.mjs --write-results\`; everything outside these two markers is kept -->`,
    '',
    `- Date: ${res.date}`,
    `- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}; load average ${res.load_start.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min) at the start`,
    `- Node: ${m.node}`,
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
    text = `# Benchmark results\n\n${START}\n${END}\n`;
  }
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  text = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + END.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
  log(`wrote ${file}`);
}

try {
  const t0 = Date.now();
  const loadStart = loadavg();
  const parts = [awaitBench, httpBench, syncBench, workerBench, threadsBench, startupBench, rssBench, latencyBench, promisesBench, soakBench];
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
  say(`baselines (no agent): await loop ${res.await_none_ms.toFixed(0)} ms, HTTP ${res.http_none_rps.toFixed(0)} req/s, sync loop ${res.sync_none_ms.toFixed(0)} ms, workers ${res.worker_none_ms.toFixed(0)} ms, pool ${res.pool_none_ms.toFixed(0)} ms, messages ${res.messages_none_ms.toFixed(0)} ms, start-up ${res.startup_none_ms.toFixed(0)} ms, idle RSS ${res.rss_none_mb.toFixed(1)} MB`);
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

  say('Budgets (median; in brackets the lowest and highest single round):');
  for (const [key, [op, limit]] of Object.entries(BUDGETS)) {
    const [label, unit] = BUDGET_LABELS[key];
    const v = res[key];
    const ok = Number.isFinite(v) && (op === '<=' ? v <= limit : v >= limit);
    failed ||= !ok;
    verdicts[key] = ok ? 'PASS' : 'FAIL';
    const f = (x) => (!Number.isFinite(x) ? 'never' : unit === 'x' ? x.toFixed(3) : x.toFixed(1));
    // A range on both sides of the limit means single rounds disagree: the verdict is the median's.
    const straddles = ranges[key] && (op === '<=' ? ranges[key][0] <= limit && ranges[key][1] > limit : ranges[key][0] < limit && ranges[key][1] >= limit);
    const range = ranges[key] ? `[${f(ranges[key][0])}..${f(ranges[key][1])}]${straddles ? ' rounds on both sides of the limit' : ''}` : '';
    say(`  ${label.padEnd(42)} ${`${f(v)} ${unit}`.padStart(10)}  ${`${verdicts[key]} (${op} ${limit}${unit === 'x' ? '' : ` ${unit}`})`.padEnd(17)} ${range}`.trimEnd());
  }
  say();

  say(`Detection latency, block start to report on disk, minus the ${SLOW_MS} ms threshold (worst of ${LATENCY_ROUNDS}):`);
  for (const l of table(
    ['planted block', 'asyncdebug default', 'blocked-at'],
    Object.keys(res.latency_by_block).map((b) => [b === 'forever' ? 'infinite loop' : `${b} ms`, fmtLatency(res.latency_by_block[b]), fmtLatency(res.blockedat_latency_by_block[b])]),
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

  for (const line of out) console.log(line);
  console.log(JSON.stringify(json));
  if (WRITE_RESULTS) writeResults(out, res, `node bench/run.mjs ${argv.join(' ')}`.trim());
  if (failed) process.exitCode = 1;
} finally {
  cleanup();
}
