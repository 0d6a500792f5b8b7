// `node bench/preloads.mjs [--runs 20] [--preload <specifier>]`: what the agent costs a process whose
// NODE_OPTIONS also loads a preload of the app's (default: tsx, as a TypeScript project runs its tests),
// the way `asyncdebug run` adds the agent there. Each run is a process that lives 200 ms; four
// configurations (bare, the preload, the preload and the agent, the agent alone) are interleaved run by
// run. Printed: the mean CPU time per process (from /proc/self/stat's cutime + cstime once each child is
// waited for) and the agent's addition with and without the preload. Node applies NODE_OPTIONS to every worker that
// is not given an env of its own, so a watchdog started with the process's env loaded the preload too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, preload: { type: 'string' } } });
const runs = Number(values.runs);
const root = new URL('../', import.meta.url);
const preload = values.preload ?? pathToFileURL(fileURLToPath(new URL('node_modules/tsx/dist/esm/index.mjs', root))).href;
const register = pathToFileURL(fileURLToPath(new URL('dist/register.cjs', root))).href;

const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-preloads-'));
const app = join(dir, 'app.mjs');
writeFileSync(app, 'setTimeout(() => {}, 200);\n');

const TICK = 10; // ms per USER_HZ tick of /proc/<pid>/stat
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK;
}

const CONFIGS = {
  bare: '',
  preload: `--import=${preload}`,
  'preload, agent': `--import=${preload} --import=${register}`,
  agent: `--import=${register}`,
};
const cpu = Object.fromEntries(Object.keys(CONFIGS).map((k) => [k, 0]));
try {
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? Object.keys(CONFIGS) : Object.keys(CONFIGS).reverse();
    for (const name of order) {
      const env = { ...process.env, NODE_OPTIONS: CONFIGS[name], ASYNC_DEBUG_REPORTERS: 'json', ASYNC_DEBUG_REPORT_DIR: join(dir, 'reports') };
      const c0 = childrenCpuMs();
      // Bounded: SIGKILL after 30 s.
      const r = spawnSync(process.execPath, [app], { env, stdio: 'ignore', timeout: 30_000, killSignal: 'SIGKILL' });
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status ?? r.signal}`);
      cpu[name] += childrenCpuMs() - c0;
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const per = (name) => cpu[name] / runs;
console.log(`Node ${process.version}, ${runs} processes of 200 ms per configuration, preload ${preload}`);
console.log(`  CPU per process: bare ${per('bare').toFixed(1)} ms, the preload ${per('preload').toFixed(1)} ms, the preload and the agent ${per('preload, agent').toFixed(1)} ms, the agent ${per('agent').toFixed(1)} ms`);
console.log(`  added by the agent: next to the preload +${(per('preload, agent') - per('preload')).toFixed(1)} ms per process, alone +${(per('agent') - per('bare')).toFixed(1)} ms`);
