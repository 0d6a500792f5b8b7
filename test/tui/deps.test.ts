// React and Ink load only into `asyncdebug tui`: not into the agent (the tui reporter in the watchdog
// included), not into the package's other entries, not into the other commands. Checked on the built
// files (npm run build) by following their static imports.
import { existsSync, readFileSync } from 'node:fs';
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
    ...text.matchAll(/\brequire\(['"]([^'"]+)['"]\)/g),
  ].map((m) => m[1]!);
  for (const spec of specs) {
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      if (existsSync(target)) staticGraph(target, seen, packages);
    } else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return { files: seen, packages };
}

describe('what loads React and Ink', () => {
  it.each(['register.cjs', 'api.js', 'auto.js', 'watchdog/worker.cjs', 'reporters/tui-server.js', 'cli/main.js', 'cli/run.js', 'cli/ci.js', 'cli/tui-command.js'])('%s does not import react or ink statically', (entry) => {
    const { packages, files } = staticGraph(join(DIST, entry));
    expect([...packages].filter((p) => p === 'react' || p === 'ink' || p.startsWith('react-'))).toEqual([]);
    expect([...files].filter((f) => f.includes(`${join(DIST, 'tui')}/app.js`) || f.includes(`${join(DIST, 'tui')}/render.js`))).toEqual([]);
  });

  it('the UI module does (it is what `asyncdebug tui` loads by import())', () => {
    const { packages } = staticGraph(join(DIST, 'tui', 'render.js'));
    expect(packages.has('ink')).toBe(true);
    expect(packages.has('react')).toBe(true);
    expect(readFileSync(join(DIST, 'cli', 'tui-command.js'), 'utf8')).toContain("import('../tui/render.js')");
  });
});
