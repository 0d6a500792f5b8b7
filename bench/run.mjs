// Benchmarks of the asyncdebug agent: `node bench/run.mjs [--quick]`.
// The box is shared and noisy, so every number is relative to plain node measured in the same run:
// fresh child per measurement, variants interleaved round by round, medians over rounds.
// Prints a table with PASS/FAIL per budget, then, last, one JSON line. Exit status 1 if a budget fails.
import autocannon from 'autocannon';
import { cleanup, interleave, median, medianDiff, medianRatio, readFindings, run, sleep, start, waitForLine } from './lib.mjs';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 3 : 6;
const HTTP_SECONDS = QUICK ? 2 : 5;
const STARTUP_ROUNDS = QUICK ? 8 : 20;
const LATENCY_ROUNDS = QUICK ? 1 : 3;
const SLOW_MS = 100; // the agent's default block threshold

const log = (line) => process.stderr.write(`${line}\n`); // progress on stderr keeps stdout the report

// 1 + 2. Await microbench, fresh and after a captured block.
async function awaitBench() {
  log('await microbench...');
  const variants = ['none', 'default', 'debug', 'none+block', 'default+block'];
  let loopReported = 0; // default-mode runs whose own await loop was reported as a block
  const ms = await interleave(ROUNDS, variants, async (v) => {
    const [config, block] = v.split('+');
    const r = await run(config, 'await.mjs', block ? ['--after-block'] : [], { timeoutMs: 60_000 });
    // The loop runs entirely in microtasks, with no turn of the event loop: if it lasts longer than the
    // threshold, the agent rightly sees a block, and its stack sampling is part of what we measure.
    if (v === 'default' && r.findings.some((f) => f.kind === 'block')) loopReported++;
    return JSON.parse(r.stdout.trim().split('\n').pop()).ms;
  });
  return {
    await_loop_reported: `${loopReported}/${ROUNDS}`,
    default_await: medianRatio(ms.default, ms.none),
    debug_await: medianRatio(ms.debug, ms.none),
    default_after_block_await: medianRatio(ms['default+block'], ms['none+block']),
    await_none_ms: median(ms.none),
  };
}

// 3. HTTP requests/sec under autocannon, fresh and after a captured block.
async function httpRound(config, block) {
  const proc = start(config, 'http-server.mjs', block ? ['--block'] : [], { timeoutMs: (HTTP_SECONDS + 30) * 1000 });
  try {
    const [, port] = await waitForLine(proc, /^port (\d+)$/);
    if (block && proc.reportDir && !readFindings(proc.reportDir, proc.child.pid).some((f) => f.kind === 'block')) {
      // Without a captured block this variant would measure nothing new.
      throw new Error(`[${config}] the server's 200 ms block was not reported`);
    }
    const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, duration: HTTP_SECONDS });
    if (result.errors || result.timeouts || result.non2xx) {
      throw new Error(`[${config}] autocannon: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`);
    }
    return result.requests.average;
  } finally {
    proc.child.kill('SIGKILL');
    await proc.done;
  }
}

async function httpBench() {
  log(`HTTP throughput (${HTTP_SECONDS} s per run)...`);
  const variants = ['none', 'default', 'debug', 'none+block', 'default+block'];
  const rps = await interleave(ROUNDS, variants, (v) => {
    const [config, block] = v.split('+');
    return httpRound(config, Boolean(block));
  });
  return {
    default_http: medianRatio(rps.default, rps.none),
    debug_http: medianRatio(rps.debug, rps.none),
    default_http_after_block: medianRatio(rps['default+block'], rps['none+block']),
    http_none_rps: median(rps.none),
  };
}

// 4. Start-up: spawn-to-exit of a script that does nothing.
async function startupBench() {
  log('start-up...');
  const ms = await interleave(STARTUP_ROUNDS, ['none', 'default'], async (c) => (await run(c, 'empty.mjs')).ms);
  return { startup_ms: medianDiff(ms.default, ms.none), startup_none_ms: median(ms.none) };
}

// 5. Resident memory of an idle process.
async function rssBench() {
  log('RSS...');
  const rss = await interleave(ROUNDS, ['none', 'default'], async (c) => {
    return JSON.parse((await run(c, 'rss.mjs')).stdout.trim()).rss / 2 ** 20;
  });
  return { default_rss_mb: medianDiff(rss.default, rss.none), rss_none_mb: median(rss.none) };
}

// 6. Detection latency: from the block's start to the first "block" line in the JSON Lines report, less
// the threshold. The report is polled every 2 ms, so up to 2 ms of the result is the poll's.
async function latencyOnce(arg) {
  const proc = start('default', 'block.mjs', [arg], { timeoutMs: 10_000 });
  let blockStart = null;
  let seen = null;
  const poll = setInterval(() => {
    if (seen === null && readFindings(proc.reportDir, proc.child.pid).some((f) => f.kind === 'block')) seen = Date.now();
  }, 2);
  try {
    const [, t] = await waitForLine(proc, /^blockStart (\d+)$/);
    blockStart = Number(t);
    if (arg === 'forever') {
      await sleep(1500);
      proc.child.kill('SIGKILL');
    }
    const r = await proc.done;
    if (arg !== 'forever' && r.code !== 0) throw new Error(`block.mjs ${arg} exited ${r.code ?? r.signal}: ${r.stderr}`);
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
  const worst = Object.fromEntries(cases.map((c) => [c, -Infinity]));
  for (let r = 0; r < LATENCY_ROUNDS; r++) {
    for (const c of cases) worst[c] = Math.max(worst[c], await latencyOnce(c));
  }
  return { latency_ms: Math.max(...Object.values(worst)), latency_by_block: worst };
}

const BUDGETS = {
  default_await: ['<=', 1.05],
  default_after_block_await: ['<=', 1.05],
  default_http: ['>=', 0.97],
  default_http_after_block: ['>=', 0.97],
  startup_ms: ['<=', 15],
  default_rss_mb: ['<=', 12],
  latency_ms: ['<=', 50],
};

const ROWS = [
  ['default_await', 'await loop, default / none', 'x'],
  ['default_after_block_await', 'await loop after a block, default / none', 'x'],
  ['debug_await', 'await loop, debug / none', 'x'],
  ['default_http', 'HTTP req/s, default / none', 'x'],
  ['default_http_after_block', 'HTTP req/s after a block, default / none', 'x'],
  ['debug_http', 'HTTP req/s, debug / none', 'x'],
  ['startup_ms', 'start-up, default - none', 'ms'],
  ['default_rss_mb', 'idle RSS, default - none', 'MB'],
  ['latency_ms', 'block detection latency (worst)', 'ms'],
];

const round3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);

try {
  const t0 = Date.now();
  const res = {
    ...(await awaitBench()),
    ...(await httpBench()),
    ...(await startupBench()),
    ...(await rssBench()),
    ...(await latencyBench()),
  };

  let failed = false;
  console.log(`asyncdebug bench${QUICK ? ' (quick)' : ''}: node ${process.version}, ${ROUNDS} rounds, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`baselines (plain node): await loop ${res.await_none_ms.toFixed(0)} ms, HTTP ${res.http_none_rps.toFixed(0)} req/s, start-up ${res.startup_none_ms.toFixed(0)} ms, RSS ${res.rss_none_mb.toFixed(1)} MB`);
  console.log('');
  for (const [key, label, unit] of ROWS) {
    const v = res[key];
    const shown = unit === 'x' ? v.toFixed(3) : v.toFixed(1);
    let verdict = '';
    if (BUDGETS[key]) {
      const [op, limit] = BUDGETS[key];
      const ok = op === '<=' ? v <= limit : v >= limit;
      failed ||= !ok;
      verdict = `${ok ? 'PASS' : 'FAIL'} (${op} ${limit}${unit === 'x' ? '' : ` ${unit}`})`;
    }
    console.log(`${label.padEnd(42)} ${`${shown} ${unit}`.padStart(10)}  ${verdict}`);
  }
  const by = Object.entries(res.latency_by_block).map(([b, ms]) => `${b === 'forever' ? 'infinite' : `${b} ms`}: ${ms.toFixed(1)}`);
  console.log(`  the await loop itself was reported as a block in ${res.await_loop_reported} default runs (it runs ${res.await_none_ms.toFixed(0)} ms without a loop turn; threshold ${SLOW_MS} ms)`);
  console.log(`  latency per planted block (ms over the ${SLOW_MS} ms threshold): ${by.join(', ')}`);
  console.log('');

  const json = { node: process.version, date: new Date().toISOString(), quick: QUICK, rounds: ROUNDS, pass: !failed };
  for (const [key] of ROWS) json[key] = round3(res[key]);
  console.log(JSON.stringify(json));
  if (failed) process.exitCode = 1;
} finally {
  cleanup();
}
