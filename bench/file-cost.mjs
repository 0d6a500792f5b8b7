// What the agent adds to one short process, as a test suite runs hundreds: one node:test file run
// directly, with no agent, with this build, and with another build of the agent when given, interleaved
// run by run. A fresh cache directory (XDG_CACHE_HOME) is made first and the first run of each dropped,
// as in a suite whose first process writes the code caches. CPU time of all the process's threads, from
// this process's children counters (10 ms ticks: read means over many runs), and wall time (the mean:
// noisier; --wait MS makes the file wait that long, as a test that waits on a timer, so that the
// watchdog is up by its end).
//   node bench/file-cost.mjs [--runs 60] [--against /path/to/other/checkout] [--reporters json] [--wait 0]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '60' }, against: { type: 'string' }, reporters: { type: 'string', default: 'json' }, wait: { type: 'string', default: '0' } } });
const runs = Number(values.runs) + 1;
const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-file-cost-'));
const file = join(dir, 't.test.mjs');
writeFileSync(
  file,
  `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n` +
    `test('adds', () => { assert.equal(1 + 1, 2); });\n` +
    `test('waits', async () => { await new Promise((r) => setTimeout(r, 5)); });\n` +
    `test('sorts', () => { const a = Array.from({ length: 2000 }, (_, k) => (k * 7919) % 2003); a.sort((x, y) => x - y); assert.ok(a[0] <= a[1]); });\n` +
    `test('waits as asked', async () => { await new Promise((r) => setTimeout(r, ${Number(values.wait)})); });\n`,
);
const cacheHome = join(dir, 'cache');
mkdirSync(cacheHome, { mode: 0o700 });

const childrenCpuMs = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // cutime + cstime, in ticks of 10 ms
};
const variants = { none: null, 'this build': fileURLToPath(new URL('../dist/register.cjs', import.meta.url)) };
if (values.against) variants[values.against] = join(values.against, 'dist', 'register.cjs');
const cpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const wall = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
try {
  for (let r = 0; r < runs; r++) {
    for (const [name, register] of Object.entries(variants)) {
      const env = { ...process.env, XDG_CACHE_HOME: cacheHome, ASYNC_DEBUG_REPORTERS: values.reporters, ASYNC_DEBUG_REPORT_DIR: join(dir, 'reports'), NODE_OPTIONS: '' };
      const c0 = childrenCpuMs();
      const t0 = performance.now();
      const result = spawnSync(process.execPath, [...(register ? ['--import', register] : []), file], { env, stdio: 'ignore' });
      const t1 = performance.now();
      if (result.status !== 0) throw new Error(`${name}: the test file exited ${result.status ?? result.signal}`);
      if (r > 0) {
        cpu[name].push(childrenCpuMs() - c0);
        wall[name].push(t1 - t0);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const none = mean(cpu.none);
const noneWall = mean(wall.none);
console.log(`node ${process.version}, ${runs - 1} runs each (interleaved; the first dropped), reporters ${values.reporters}, the file waits ${Number(values.wait)} ms`);
console.log(`  no agent: ${none.toFixed(1)} ms of CPU per process, ${noneWall.toFixed(1)} ms of wall time`);
for (const name of Object.keys(variants).filter((k) => k !== 'none')) console.log(`  ${name}: +${(mean(cpu[name]) - none).toFixed(1)} ms of CPU, +${(mean(wall[name]) - noneWall).toFixed(1)} ms of wall time`);
