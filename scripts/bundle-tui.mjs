// Builds the live view (run by `npm run bundle`, after tsc): src/tui/render.tsx with the App, Ink, React
// and the rest of Ink's dependencies (yoga-layout's WebAssembly comes inlined as base64) into one ES
// module, dist/tui/render.js, which only `asyncdebug tui` loads (by import()). They are dev dependencies:
// a plain install of asyncdebug does not bring them (35 MB in 40-odd packages). chalk stays a runtime
// dependency of its own (the CLI uses it) and is shared with the bundle, so that render.tsx sets the
// color level of the instance Ink draws with. The bundled packages' licenses go beside it.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const out = 'dist/tui/render.js';

// Ink loads its React DevTools bridge (which needs react-devtools-core and ws) only when DEV=true: the
// bundle has none, and DEV=true is then a no-op rather than a missing module.
const noDevtools = {
  name: 'no-ink-devtools',
  setup(b) {
    b.onResolve({ filter: /^\.\/devtools\.js$/ }, (a) => (a.importer.includes('/node_modules/ink/') ? { path: 'ink-devtools', namespace: 'asyncdebug-stub' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'asyncdebug-stub' }, () => ({ contents: '' }));
  },
};

const result = await build({
  entryPoints: ['src/tui/render.tsx'],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  jsx: 'automatic',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  external: ['chalk'],
  plugins: [noDevtools],
  // React's production build (without it, the development build: slower, and warnings on the terminal).
  define: { 'process.env.NODE_ENV': '"production"' },
  // The CommonJS packages inside (react, react-reconciler, scheduler) require Node's built-ins.
  banner: { js: "import { createRequire as __asyncdebugCreateRequire } from 'node:module'; const require = __asyncdebugCreateRequire(import.meta.url);" },
});

// tsc's unbundled copies import ink and react, which a user's install does not have.
for (const name of ['render', 'app']) {
  for (const ext of ['.js.map', '.d.ts', '.d.cts']) rmSync(`dist/tui/${name}${ext}`, { force: true });
}
rmSync('dist/tui/app.js', { force: true });

/** The package directory a bundled input file belongs to (the innermost node_modules/<name>). */
function packageDir(file) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
  return m ? m[1] : null;
}

// The MIT license's terms, for a package that ships none of its own files with it (yoga-layout): its
// copyright line comes from its sources.
const MIT_TERMS = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN
AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE
OR OTHER DEALINGS IN THE SOFTWARE.`;

/** A package's license text: its own file, or for MIT without one, its copyright line and the terms. */
function licenseText(dir, pkg, files) {
  const own = readdirSync(dir).find((n) => /^licen[cs]e/i.test(n));
  if (own) return readFileSync(join(dir, own), 'utf8').trim();
  const copyright = files.map((f) => /Copyright \(c\)[^\n*]*/.exec(readFileSync(f, 'utf8'))?.[0]).find(Boolean);
  if (pkg.license !== 'MIT' || !copyright) throw new Error(`${dir}: no license text to ship with the bundle`);
  return `MIT License\n\n${copyright.trim()}\n\n${MIT_TERMS}`;
}

// Every bundled package's name, version and license text (MIT and ISC ask for their notice to come with
// copies).
const bundled = new Map();
for (const [file, input] of Object.entries(result.metafile.outputs[out].inputs)) {
  const dir = packageDir(file);
  if (input.bytesInOutput > 0 && dir) bundled.set(dir, [...(bundled.get(dir) ?? []), file]);
}
const notices = [...bundled]
  .map(([dir, files]) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return { id: `${pkg.name}@${pkg.version}`, text: `${pkg.name}@${pkg.version} (${pkg.license})\n\n${licenseText(dir, pkg, files)}\n` };
  })
  // a package nested in several places is one notice
  .filter((n, i, all) => all.findIndex((m) => m.id === n.id) === i)
  .sort((a, b) => a.id.localeCompare(b.id));
writeFileSync(
  join(dirname(out), 'render.LICENSES.txt'),
  `The live view (render.js) bundles these packages:\n\n${notices.map((n) => n.text).join(`\n${'-'.repeat(72)}\n\n`)}`,
);
