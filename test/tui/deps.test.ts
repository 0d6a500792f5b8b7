// React and Ink load only into `asyncdebug tui`: not into the agent (the tui reporter in the watchdog
// included), not into the package's other entries, not into the other commands. Checked on the built
// files (npm run build) by following their static imports.
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const DIST = join(ROOT, 'dist');

/** Every module reached by static imports (not `import()`) from `file`: local files and package names. */
function staticGraph(file: string, seen = new Set<string>(), packages = new Set<string>()): { files: Set<string>; packages: Set<string> } {
  if (seen.has(file)) return { files: seen, packages };
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*export\s+[^'"]*?\s+from\s+['"]([^'"]+)['"]/gm),
    // a minified bundle: `import{x as y}from"chalk"`, on one line with the rest
    ...text.matchAll(/(?:^|[;}])\s*import\s*(?:[{*][^'"]*?from\s*)?['"]([^'"]+)['"]/g),
    ...text.matchAll(/\brequire\(['"]([^'"]+)['"]\)/g),
  ].map((m) => m[1]!);
  for (const spec of specs) {
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      if (existsSync(target)) staticGraph(target, seen, packages);
    } else if (!isBuiltin(spec)) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return { files: seen, packages };
}

describe('what loads React and Ink', () => {
  it.each(['register.cjs', 'api.js', 'auto.js', 'watchdog/worker.cjs', 'reporters/tui-server.js', 'cli/main.js', 'cli/run.js', 'cli/ci.js', 'cli/tui-command.js'])('%s does not import react or ink statically', (entry) => {
    const { packages, files } = staticGraph(join(DIST, entry));
    expect([...packages].filter((p) => p === 'react' || p === 'ink' || p.startsWith('react-'))).toEqual([]);
    expect([...files].filter((f) => f.includes(`${join(DIST, 'tui')}/app.js`) || f.includes(`${join(DIST, 'tui')}/render.js`))).toEqual([]);
  });

  it('the UI module is one bundle with React and Ink inside (they are dev dependencies); `asyncdebug tui` loads it by import()', () => {
    const { packages } = staticGraph(join(DIST, 'tui', 'render.js'));
    // chalk is shared with the CLI (a runtime dependency): render.tsx sets the level of the instance Ink uses
    expect([...packages].sort()).toEqual(['chalk']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const name of ['ink', 'react']) {
      expect(pkg.dependencies[name]).toBeUndefined();
      expect(pkg.devDependencies[name]).toBeDefined();
    }
    expect(readFileSync(join(DIST, 'tui', 'render.js'), 'utf8')).toContain('Ink');
    // tsc's unbundled copies (they import ink and react) are gone
    expect(existsSync(join(DIST, 'tui', 'app.js'))).toBe(false);
    expect(readFileSync(join(DIST, 'tui', 'render.LICENSES.txt'), 'utf8')).toMatch(/^ink@\S+ \(MIT\)$/m);
    expect(readFileSync(join(DIST, 'cli', 'tui-command.js'), 'utf8')).toContain("import('../tui/render.js')");
  });
});

describe('the watchdog bundle', () => {
  it('holds the console reporter and chalk: no module is imported for them when a process starts', () => {
    const { packages, files } = staticGraph(join(DIST, 'watchdog', 'worker.cjs'));
    expect([...packages]).not.toContain('chalk');
    expect([...files].filter((f) => f.includes(join(DIST, 'reporters')))).toEqual([]);
    const text = readFileSync(join(DIST, 'watchdog', 'worker.cjs'), 'utf8');
    expect(text).toContain('bundleReporter("console"');
    // inside a part of the bundle run at the first console finding (test/unit/watchdog/start-cost.test.ts)
    expect(text).toMatch(/\bChalk = class\b/);
  });
});
