// Builds the CommonJS side of the package (run by `npm run bundle`, after tsc):
// - dist/agent/thread-agent.cjs: the agent, one bundle, loaded by every entry (ESM and CJS) through
//   require, so that there is one instance per thread (src/agent-module.ts says why);
// - dist/watchdog/worker.cjs: the watchdog worker's code, one bundle, loaded by dist/watchdog/boot.cjs;
// - dist/{register,auto,api,node-test}.cjs: the `require` entries, each with the config code inlined and
//   the agent left to the bundle above; dist/vitest.cjs requires the ES module (see below);
// - a .d.cts next to every .d.ts: the types of the `require` entries. Copies, not re-exports: under
//   `module: node16` a CommonJS declaration file may not import an ESM one (TS1479).
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
// CommonJS has no import.meta: the bundles compute its url from their own file name.
const importMetaUrl = {
  banner: { js: '"use strict"; const __asyncdebug_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__asyncdebug_import_meta_url', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
};
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', logLevel: 'warning', ...importMetaUrl };

await build({ ...common, entryPoints: ['src/agent/thread-agent.ts'], outfile: 'dist/agent/thread-agent.cjs', sourcemap: true });
// The watchdog worker, one CommonJS file too: a worker whose entry is an ES module first sets up the ESM
// loader in its thread, which made its boot (and a process's exit while it still boots) ~10 ms longer.
// It holds the console reporter and chalk (an ES module package, which a `require` could not take on every
// Node line we support): loading them as ES modules set up the ESM loader in the watchdog of every process.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const otherPackages = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies }).filter((name) => name !== 'chalk');
await build({ ...common, packages: undefined, external: otherPackages.flatMap((name) => [name, `${name}/*`]), entryPoints: ['src/watchdog/worker.ts'], outfile: 'dist/watchdog/worker.cjs', sourcemap: true });
// Its entry, boot.cjs, loads it through V8's code cache (src/code-cache.ts).
await build({ ...common, entryPoints: ['src/watchdog/boot.ts'], outfile: 'dist/watchdog/boot.cjs' });
rmSync(new URL('watchdog/boot.js', dist), { force: true });
rmSync(new URL('watchdog/boot.js.map', dist), { force: true });
rmSync(new URL('watchdog/worker.js', dist), { force: true });
rmSync(new URL('watchdog/worker.js.map', dist), { force: true });
// tsc's unbundled ESM copy of the agent must not be loadable by mistake (it would be a second instance).
rmSync(new URL('agent/thread-agent.js', dist), { force: true });
rmSync(new URL('agent/thread-agent.js.map', dist), { force: true });
// `asyncdebug` resolves to register.cjs for import too (an ESM preload leaves a pending fs close on Node 20).
rmSync(new URL('register.js', dist), { force: true });
rmSync(new URL('register.js.map', dist), { force: true });

for (const entry of ['auto', 'api', 'node-test']) {
  await build({ ...common, entryPoints: [`src/${entry}.ts`], outfile: `dist/${entry}.cjs` });
}
// The preload's own code is dist/preload.cjs; dist/register.cjs only requires it. `--import asyncdebug`
// loads register.cjs through the ESM loader, which scans a CommonJS file's source for its exports: on
// the 12 kB bundle that scan cost every process ~3 ms and got hot enough to be optimized (about 5 MB
// of the node binary's compiler paged in). A two-line file costs neither.
await build({ ...common, entryPoints: ['src/register.ts'], outfile: 'dist/preload.cjs' });
writeFileSync(new URL('register.cjs', dist), '"use strict";\n// The preload (src/register.ts); scripts/bundle-cjs.mjs says why it is a file of its own.\nrequire("./preload.cjs");\n');

// `require('asyncdebug/vitest')` (a CommonJS setup file's configure()) gets the ES module itself: one
// instance of the setup file's hooks and options, however it was loaded. vitest 4 needs a Node that can
// require() an ES module (20.19+, 22.12+); vitest itself is an ES module.
writeFileSync(new URL('vitest.cjs', dist), '"use strict";\n// The ES module itself (scripts/bundle-cjs.mjs says why).\nmodule.exports = require("./vitest.js");\n');

// Relative specifiers './x.js' become './x.cjs', which TypeScript resolves to the copy './x.d.cts'
// (checked by test/fixtures/entries-types under node16 and nodenext).
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue;
  const dts = readFileSync(new URL(file, dist), 'utf8');
  const cts = dts.replace(/((?:from\s+|import\()['"])(\.{1,2}\/[^'"]+)\.js(['"])/g, '$1$2.cjs$3');
  writeFileSync(new URL(file.replace(/\.d\.ts$/, '.d.cts'), dist), cts);
}
