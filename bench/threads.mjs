// The cross-thread workloads: the libuv pool (parallel fs.promises.readFile + crypto.pbkdf2) and
// messaging (many small postMessages to a worker and back), no agent against asyncdebug default and
// debug mode, interleaved round by round; time and (default mode) the CPU time of all threads.
// Part of `node bench/run.mjs`; alone:
//   node bench/threads.mjs [--quick]      (prints the ratios and one JSON line)
import { fileURLToPath } from 'node:url';
import { interleave, lastJson, median, medianRatio, ratioRange, run } from './lib.mjs';

const CONFIGS = ['none', 'default', 'debug'];

async function workload(file, rounds) {
  const r = await interleave(rounds, CONFIGS, async (c) => {
    const out = await run(c, file, [], { timeoutMs: 120_000 });
    const kinds = {};
    for (const f of out.findings) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
    return { ...lastJson(out), kinds };
  });
  const ms = (c) => r[c].map((x) => x.ms);
  const cpu = (c) => r[c].map((x) => x.cpuMs); // CPU of all the process's threads over the same window
  return { r, ms, cpu };
}

/** Kinds of finding seen in the default-mode runs, with the number of runs that had each. */
function kindsSeen(rows) {
  const seen = {};
  for (const row of rows) for (const k of Object.keys(row.kinds)) if (k !== 'summary') seen[k] = (seen[k] ?? 0) + 1;
  return Object.entries(seen).map(([k, n]) => `${k} ${n}/${rows.length}`).join(', ') || 'none';
}

export async function threadsBench(rounds, log = () => {}) {
  log('thread pool workload...');
  const pool = await workload('pool.mjs', rounds);
  log('messaging workload...');
  const messages = await workload('messages.mjs', rounds);
  return {
    default_pool: medianRatio(pool.ms('default'), pool.ms('none')),
    debug_pool: medianRatio(pool.ms('debug'), pool.ms('none')),
    default_messages: medianRatio(messages.ms('default'), messages.ms('none')),
    debug_messages: medianRatio(messages.ms('debug'), messages.ms('none')),
    default_pool_cpu: medianRatio(pool.cpu('default'), pool.cpu('none')),
    default_messages_cpu: medianRatio(messages.cpu('default'), messages.cpu('none')),
    pool_none_ms: median(pool.ms('none')),
    messages_none_ms: median(messages.ms('none')),
    pool_findings: kindsSeen(pool.r.default),
    messages_findings: kindsSeen(messages.r.default),
    ranges: {
      default_pool: ratioRange(pool.ms('default'), pool.ms('none')),
      default_messages: ratioRange(messages.ms('default'), messages.ms('none')),
      default_pool_cpu: ratioRange(pool.cpu('default'), pool.cpu('none')),
      default_messages_cpu: ratioRange(messages.cpu('default'), messages.cpu('none')),
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const res = await threadsBench(quick ? 3 : 6, (l) => process.stderr.write(`${l}\n`));
  const f = (x) => x.toFixed(3);
  console.log(`pool (400 readFile + 8 pbkdf2, x10; no agent ${res.pool_none_ms.toFixed(0)} ms): default ${f(res.default_pool)} [${res.ranges.default_pool.map(f).join('..')}] (CPU ${f(res.default_pool_cpu)}), debug ${f(res.debug_pool)}; default-mode findings: ${res.pool_findings}`);
  console.log(`messages (100k small, both ways; no agent ${res.messages_none_ms.toFixed(0)} ms): default ${f(res.default_messages)} [${res.ranges.default_messages.map(f).join('..')}] (CPU ${f(res.default_messages_cpu)}), debug ${f(res.debug_messages)}; default-mode findings: ${res.messages_findings}`);
  console.log(JSON.stringify(res));
}
