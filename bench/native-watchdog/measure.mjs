// What a native watchdog thread costs a process, next to a Worker and to the agent, measured in one run:
// the CPU time (user + system, from this process's children counters) of short processes, interleaved.
// node measure.mjs [--runs 20]   (build first: see README.md)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 20;
const dir = mkdtempSync(join(tmpdir(), 'sentinel-'));
const script = (name, code) => { const p = join(dir, name); writeFileSync(p, code); return p; };
const apps = {
  'empty script': script('empty.mjs', ''),
  'a 300 ms process': script('sleep.mjs', 'setTimeout(() => {}, 300);'),
  'idle 3 s': script('idle.mjs', 'setTimeout(() => {}, 3000);'),
};
// A Worker that starts and ends: what its start costs, whatever it would then run.
const bareWorker = script('worker.cjs', "new (require('node:worker_threads').Worker)('', { eval: true }).unref();");
const variants = {
  none: { args: [] },
  'beat only': { args: ['-r', join(here, 'load.cjs')], env: { SENTINEL: '0' } },
  'beat + sentinel': { args: ['-r', join(here, 'load.cjs')] },
  'a bare Worker': { args: ['-r', bareWorker] },
  'asyncdebug': { args: ['--import', fileURLToPath(new URL('../../dist/register.cjs', import.meta.url))] },
};
const childCpuMs = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // cutime + cstime, in clock ticks of 10 ms
};
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
console.log(`node ${process.version}, ${runs} runs each, interleaved; CPU ms per process (mean), added over none`);
for (const [label, app] of Object.entries(apps)) {
  const n = label.startsWith('idle') ? Math.max(3, Math.round(runs / 4)) : runs;
  const cpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (const [k, v] of Object.entries(variants)) {
      const c0 = childCpuMs();
      const r = spawnSync(process.execPath, [...v.args, app], { stdio: 'ignore', env: { ...process.env, ...v.env } });
      if (r.status !== 0) throw new Error(`${k} on ${label} exited ${r.status}`);
      cpu[k].push(childCpuMs() - c0);
    }
  }
  const base = mean(cpu.none);
  console.log(`${label} (${n} runs): none ${base.toFixed(1)} ms; ` + Object.keys(variants).filter((k) => k !== 'none').map((k) => `${k} +${(mean(cpu[k]) - base).toFixed(1)}`).join(', '));
}
rmSync(dir, { recursive: true, force: true });
