// Builds the HTML report's page (run by `npm run bundle`, after tsc): src/html/page/ with uPlot into one
// minified script, dist/html/page-bundle.js, and its styles with uPlot's into dist/html/page-bundle.css.
// `asyncdebug report --html` inlines both into every report it writes (src/html/assets.ts): the page
// loads nothing from anywhere, and users install nothing for it (uPlot is a dev dependency).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning', target: ['chrome100', 'firefox100', 'safari15'] };
await build({ ...common, entryPoints: ['src/html/page/main.ts'], outfile: 'dist/html/page-bundle.js', format: 'iife', platform: 'browser' });
await build({ ...common, entryPoints: ['src/html/page/page.css'], outfile: 'dist/html/page-bundle.css' });

// Inlined into <script> and <style>: neither may close its element early.
for (const [file, closing] of [['dist/html/page-bundle.js', /<\/script/i], ['dist/html/page-bundle.css', /<\/style/i]]) {
  if (closing.test(readFileSync(file, 'utf8'))) throw new Error(`${file} holds ${closing.source}: it cannot be inlined`);
}
