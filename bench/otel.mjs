// The OpenTelemetry reporter's cost, default mode (node bench/otel.mjs [--quick]):
// - an app that runs its own SDK (a server span per request): HTTP req/s with no agent, with the agent
//   (json reporter), and with ASYNC_DEBUG_REPORTERS=otel (in the main thread, wrapping the context
//   manager's `with`);
// - a plain app with the standalone exporter ASYNC_DEBUG_OTEL=prometheus (in the watchdog): HTTP req/s and
//   2M awaits (in the first second, while the watchdog loads the SDK, and after 2 s) against no agent and
//   the agent alone.
// --rounds N and --seconds S override the rounds and the HTTP run length.
// Interleaved rounds, medians of per-round ratios against no agent measured in the same run, as in
// bench/run.mjs. Prints a table and one JSON line.
import autocannon from 'autocannon';
import { CONFIGS, cleanup, interleave, lastJson, medianRatio, ratioRange, run, start, waitForLine } from './lib.mjs';

const QUICK = process.argv.includes('--quick');
const opt = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const ROUNDS = opt('--rounds', QUICK ? 3 : 6);
const HTTP_SECONDS = opt('--seconds', QUICK ? 1.5 : 5);
const log = (line) => process.stderr.write(`${line}\n`);

CONFIGS.otel = { execArgv: ['--import', 'asyncdebug'], env: { ASYNC_DEBUG_REPORTERS: 'otel' } };
CONFIGS.prometheus = { execArgv: ['--import', 'asyncdebug'], env: { ASYNC_DEBUG_REPORTERS: 'otel', ASYNC_DEBUG_OTEL: 'prometheus', ASYNC_DEBUG_PROMETHEUS_PORT: '0' } };

async function rps(config, workload) {
  const proc = start(config, workload, [], { timeoutMs: (HTTP_SECONDS + 30) * 1000 });
  try {
    const [, port] = await waitForLine(proc, /^port (\d+)$/);
    const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 10, duration: HTTP_SECONDS, sampleInt: 100 });
    if (result.errors || result.timeouts || result.non2xx) throw new Error(`[${config}] autocannon: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`);
    return result.requests.total / result.duration;
  } finally {
    proc.child.kill('SIGKILL');
    await proc.done;
  }
}

try {
  log(`app with its own SDK, HTTP (${HTTP_SECONDS} s per run, ${ROUNDS} rounds)...`);
  const sdk = await interleave(ROUNDS, ['none', 'default', 'otel'], (c) => rps(c, 'otel-http-server.mjs'));
  log('plain app, HTTP...');
  const plain = await interleave(ROUNDS, ['none', 'default', 'prometheus'], (c) => rps(c, 'http-server.mjs'));
  log('plain app, 2M awaits in the first second, and after 2 s...');
  const awaits = await interleave(ROUNDS, ['none', 'default', 'prometheus'], async (c) => lastJson(await run(c, 'await.mjs', [], { timeoutMs: 60_000 })).ms);
  const late = await interleave(ROUNDS, ['none', 'default', 'prometheus'], async (c) => lastJson(await run(c, 'otel-await-late.mjs', [], { timeoutMs: 60_000 })).ms);

  const rows = [
    ['SDK app HTTP req/s, agent (json)', medianRatio(sdk.default, sdk.none), ratioRange(sdk.default, sdk.none), '>= 0.97'],
    ['SDK app HTTP req/s, agent + otel (app SDK)', medianRatio(sdk.otel, sdk.none), ratioRange(sdk.otel, sdk.none), '>= 0.97'],
    ['SDK app HTTP req/s, otel over the agent alone (ratio to json)', medianRatio(sdk.otel, sdk.default), ratioRange(sdk.otel, sdk.default), '>= 0.97'],
    ['plain HTTP req/s, agent (json)', medianRatio(plain.default, plain.none), ratioRange(plain.default, plain.none), '>= 0.97'],
    ['plain HTTP req/s, agent + otel prometheus', medianRatio(plain.prometheus, plain.none), ratioRange(plain.prometheus, plain.none), '>= 0.97'],
    ['2M awaits, agent (json)', medianRatio(awaits.default, awaits.none), ratioRange(awaits.default, awaits.none), '<= 1.05'],
    ['2M awaits, agent + otel prometheus', medianRatio(awaits.prometheus, awaits.none), ratioRange(awaits.prometheus, awaits.none), '<= 1.05'],
    ['2M awaits after 2 s, agent (json)', medianRatio(late.default, late.none), ratioRange(late.default, late.none), '<= 1.05'],
    ['2M awaits after 2 s, agent + otel prometheus', medianRatio(late.prometheus, late.none), ratioRange(late.prometheus, late.none), '<= 1.05'],
  ];
  const fmt = (x) => x.toFixed(3);
  console.log('| measure (ratio to no agent) | median [rounds] | default-mode budget |');
  console.log('|---|---|---|');
  for (const [name, ratio, range, budget] of rows) {
    const [lo, hi] = range;
    const ok = budget.startsWith('>=') ? ratio >= Number(budget.slice(3)) : ratio <= Number(budget.slice(3));
    console.log(`| ${name} | ${fmt(ratio)} [${fmt(lo)}..${fmt(hi)}] | ${budget} ${ok ? 'PASS' : 'FAIL'} |`);
  }
  console.log(JSON.stringify({
    sdk_http: { default: medianRatio(sdk.default, sdk.none), otel: medianRatio(sdk.otel, sdk.none), none_rps: sdk.none },
    plain_http: { default: medianRatio(plain.default, plain.none), prometheus: medianRatio(plain.prometheus, plain.none), none_rps: plain.none },
    awaits: { default: medianRatio(awaits.default, awaits.none), prometheus: medianRatio(awaits.prometheus, awaits.none), none_ms: awaits.none },
    awaits_after_2s: { default: medianRatio(late.default, late.none), prometheus: medianRatio(late.prometheus, late.none), none_ms: late.none },
  }));
} finally {
  cleanup();
}
