// `node bench/suite.mjs [--files N] [--rounds N]`: what the agent costs a node:test suite of many short
// processes (issue 22's goal: <= 1.10x wall for >= 50 of them). It writes N small test files (default 60)
// to a fresh temp dir and runs `node --test` on them with no agent and with `--import asyncdebug` (the
// built dist/register.cjs), interleaved round by round. Printed per configuration: the median wall time
// and the median CPU time of all the suite's processes (the runner's children, from /proc/self/stat's
// cutime + cstime: they are counted once waited for), and the ratios against no agent measured in the
// same round. CPU time is the steadier figure on a shared machine; read it first.
// --reporters: the agent's reporters (default json, as `asyncdebug ci` runs a suite; console,json is
// what `asyncdebug run` gives it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { files: { type: 'string', default: '60' }, rounds: { type: 'string', default: '5' }, reporters: { type: 'string', default: 'json' } } });
const files = Number(values.files);
const rounds = Number(values.rounds);
const register = pathToFileURL(fileURLToPath(new URL('../dist/register.cjs', import.meta.url))).href;

const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-suite-'));
for (let i = 0; i < files; i++) {
  // a typical short unit test file: a few tests, an await, a little work
  writeFileSync(
    join(dir, `t${i}.test.mjs`),
    `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n` +
      `test('adds ${i}', () => { assert.equal(${i} + 1, ${i + 1}); });\n` +
      `test('waits', async () => { await new Promise((r) => setTimeout(r, 5)); });\n` +
      `test('sorts', () => { const a = Array.from({ length: 2000 }, (_, k) => (k * 7919) % 2003); a.sort((x, y) => x - y); assert.ok(a[0] <= a[1]); });\n`,
  );
}

const TICK = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): cutime is field 16, cstime field 17
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICK;
}

const CONFIGS = {
  none: {},
  agent: { NODE_OPTIONS: `--import=${register}`, ASYNC_DEBUG_REPORTERS: values.reporters, ASYNC_DEBUG_REPORT_DIR: join(dir, 'reports') },
};
function runOnce(name) {
  const env = { ...process.env, NODE_OPTIONS: '', ...CONFIGS[name] };
  for (const k of Object.keys(env)) if (k.startsWith('ASYNC_DEBUG') && !(k in CONFIGS[name])) delete env[k];
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  // Bounded: SIGKILL after 10 minutes (run.mjs also kills this script's whole process group on its timeout).
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=dot', dir], { env, stdio: 'ignore', timeout: 600_000, killSignal: 'SIGKILL' });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`the suite failed under ${name} (exit ${r.status})`);
  return { wall, cpu: childrenCpuMs() - cpu0 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { none: [], agent: [] };
const ratios = { wall: [], cpu: [] };
try {
  runOnce('none'); // warm the file cache
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['none', 'agent'] : ['agent', 'none'];
    const got = {};
    for (const name of order) got[name] = runOnce(name);
    for (const name of order) results[name].push(got[name]);
    ratios.wall.push(got.agent.wall / got.none.wall);
    ratios.cpu.push(got.agent.cpu / got.none.cpu);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`node:test suite of ${files} files (one process each), Node ${process.version}, ${rounds} rounds, reporters ${values.reporters}`);
for (const name of ['none', 'agent']) {
  const w = median(results[name].map((r) => r.wall));
  const c = median(results[name].map((r) => r.cpu));
  console.log(`  ${name.padEnd(6)} wall ${(w / 1000).toFixed(2)} s, CPU of all its processes ${(c / 1000).toFixed(2)} s`);
}
const range = (xs) => `[${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)}]`;
console.log(`  agent/none: CPU ${median(ratios.cpu).toFixed(3)} ${range(ratios.cpu)} (budget <= 1.10: ${median(ratios.cpu) <= 1.1 ? 'PASS' : 'FAIL'}), wall ${median(ratios.wall).toFixed(3)} ${range(ratios.wall)}`);
const perProcessMs = (median(results.agent.map((r) => r.cpu)) - median(results.none.map((r) => r.cpu))) / files;
console.log(`  per process: +${perProcessMs.toFixed(1)} ms of CPU`);
// Last, one JSON line for run.mjs: the medians (ms) and the per-round ratios' medians and ranges.
const stats = (name) => ({ wall: median(results[name].map((r) => r.wall)), cpu: median(results[name].map((r) => r.cpu)) });
console.log(
  JSON.stringify({
    files,
    rounds,
    none: stats('none'),
    agent: stats('agent'),
    cpu: median(ratios.cpu),
    wall: median(ratios.wall),
    ranges: { cpu: [Math.min(...ratios.cpu), Math.max(...ratios.cpu)], wall: [Math.min(...ratios.wall), Math.max(...ratios.wall)] },
    perProcessMs,
  }),
);
