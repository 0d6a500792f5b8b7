// What an agent with no watchdog worker costs a short process (the floor any watchdog design adds to),
// and what the native first-line writer (writer.cc) adds to it; RSS; the writer's first-line latency.
//   node bench/native-watchdog/floor.mjs --no-watchdog /path/to/checkout [--runs 40]
// The checkout is this repository with no-watchdog.patch applied and built (`git worktree add`, `git
// apply`, `npm run build`): there NO_WD=1 starts the agent without its watchdog worker. CPU time of all
// of a process's threads from this process's children counters (10 ms ticks: read means over many
// runs), interleaved, a fresh cache directory, the first run of each variant dropped.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' }, 'no-watchdog': { type: 'string' } } });
if (!values['no-watchdog']) throw new Error('--no-watchdog: the path of a checkout with no-watchdog.patch applied and built');
const runs = Number(values.runs);
const here = fileURLToPath(new URL('.', import.meta.url));
const writerPreload = join(here, 'load-writer.cjs');
const agent = fileURLToPath(new URL('../../dist/register.cjs', import.meta.url));
const noWatchdog = join(values['no-watchdog'], 'dist', 'register.cjs');

const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-floor-'));
const cacheHome = join(dir, 'cache');
mkdirSync(cacheHome, { mode: 0o700 });
const apps = { 'empty script': join(dir, 'empty.mjs'), 'node:test file': join(dir, 't.test.mjs') };
writeFileSync(apps['empty script'], '');
writeFileSync(
  apps['node:test file'],
  `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n` +
    `test('adds', () => { assert.equal(1 + 1, 2); });\ntest('waits', async () => { await new Promise((r) => setTimeout(r, 5)); });\n`,
);
const out = join(dir, 'writer.jsonl');
const variants = {
  none: {},
  'native writer': { NODE_OPTIONS: `-r ${writerPreload}`, WRITER_OUT: out },
  asyncdebug: { NODE_OPTIONS: `--import=${agent}` },
  'no watchdog': { NODE_OPTIONS: `--import=${noWatchdog}`, NO_WD: '1' },
  'no watchdog + native writer': { NODE_OPTIONS: `-r ${writerPreload} --import=${noWatchdog}`, NO_WD: '1', WRITER_OUT: out },
};
const run = (args, env, opts = {}) => {
  const base = { ...process.env, XDG_CACHE_HOME: cacheHome, ASYNC_DEBUG_REPORTERS: 'json', ASYNC_DEBUG_REPORT_DIR: join(dir, 'reports') };
  for (const k of ['NODE_OPTIONS', 'NO_WD', 'WRITER_OUT']) delete base[k];
  return spawnSync(process.execPath, args, { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 60_000, ...opts });
};
const childCpuMs = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // cutime + cstime, in ticks of 10 ms
};
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

try {
  console.log(`Node ${process.version}, ${runs} runs each, interleaved; CPU and wall ms per process (means), added over none`);
  for (const [label, app] of Object.entries(apps)) {
    const cpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    const wall = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (let r = 0; r <= runs; r++) {
      for (const [k, env] of Object.entries(variants)) {
        const c0 = childCpuMs();
        const t0 = performance.now();
        const p = run([app], env);
        if (p.status !== 0) throw new Error(`${k} on ${label} exited ${p.status}`);
        if (r === 0) continue; // the first run writes the code caches
        cpu[k].push(childCpuMs() - c0);
        wall[k].push(performance.now() - t0);
      }
    }
    const [c, w] = [mean(cpu.none), mean(wall.none)];
    console.log(`  ${label}: none CPU ${c.toFixed(1)}, wall ${w.toFixed(1)}; ` +
      Object.keys(variants).filter((k) => k !== 'none').map((k) => `${k} CPU +${(mean(cpu[k]) - c).toFixed(1)}, wall +${(mean(wall[k]) - w).toFixed(1)}`).join('; '));
  }

  // RSS 2.5 s into an idle script (median of 6 each).
  const rssCode = "setTimeout(() => console.log(require('fs').readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\\s+(\\d+)/)[1]), 2500)";
  const rss = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < 6; r++) for (const [k, env] of Object.entries(variants)) rss[k].push(Number(run(['-e', rssCode], env).stdout.trim()) / 1024);
  const r0 = median(rss.none);
  console.log(`  RSS at 2.5 s (median of 6): none ${r0.toFixed(1)} MB; ` +
    Object.keys(variants).filter((k) => k !== 'none').map((k) => `${k} +${(median(rss[k]) - r0).toFixed(1)}`).join('; '));

  // The writer's first line: a 300 ms CPU-bound block, 10 times; ms from the loop's last turn to the line.
  rmSync(out, { force: true });
  for (let r = 0; r < 10; r++) run([join(here, 'spin.mjs'), '300'], variants['native writer']);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const first = lines.filter((l) => l.ongoing).map((l) => l.writtenAfterMs);
  console.log(`  native writer, 300 ms spin x10: ${first.length} first lines at ${first.join(' ')} ms (threshold 100), ` +
    `${lines.filter((l) => !l.ongoing).length} final lines; sites: ${[...new Set(lines.map((l) => `${l.site?.function} :${l.site?.line}`))].join(', ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
