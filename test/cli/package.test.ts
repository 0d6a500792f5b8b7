// What `npm pack` ships (build first: npm run build): every package a shipped file loads is a dependency
// or an optional peer, so a plain install has all it runs and nothing more (the live view's Ink and React
// are inside its bundle); every entry's files and types are there, CommonJS types beside CommonJS code;
// no source maps (they named src/ files the package does not ship). publint and attw check the rest
// (`npm run lint:package`).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

interface Manifest {
  name: string;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  exports: Record<string, string | Record<string, unknown>>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

function packedFiles(): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

/** The package names a file loads (static and dynamic imports, require()), builtins left out. */
function packagesLoaded(text: string): Set<string> {
  const specs = [
    ...text.matchAll(/(?:^|[\s;}])(?:import|export)\s*(?:[\w${},*\s]+?\s*from\s*)?["']([^"'./][^"']*)["']/g),
    ...text.matchAll(/\b(?:import|require)\s*\(\s*["']([^"'./][^"']*)["']\s*\)/g),
  ].map((m) => m[1]!);
  const names = specs.filter((s) => !isBuiltin(s)).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
  return new Set(names);
}

describe('the packed package', () => {
  const files = packedFiles();

  it('loads only its dependencies and optional peers; the live view is a bundle', () => {
    const allowed = new Set([pkg.name, ...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const strays: string[] = [];
    for (const file of files.filter((f) => /\.(c|m)?js$/.test(f))) {
      for (const name of packagesLoaded(readFileSync(join(ROOT, file), 'utf8'))) if (!allowed.has(name)) strays.push(`${file}: ${name}`);
    }
    expect(strays).toEqual([]);
    // The check sees what it is meant to: the live view's bundle loads chalk, the CLI's table too.
    expect(packagesLoaded(readFileSync(join(ROOT, 'dist/tui/render.js'), 'utf8'))).toEqual(new Set(['chalk']));
    for (const name of ['ink', 'react', 'react-reconciler', 'yoga-layout']) expect(pkg.dependencies[name], name).toBeUndefined();
    expect(files).toContain('dist/tui/render.LICENSES.txt');
  });

  it('ships every entry with its types (CommonJS types beside CommonJS code), no source maps, no sources', () => {
    const targets: [string, string, string][] = [];
    for (const [entry, value] of Object.entries(pkg.exports)) {
      if (typeof value === 'string') continue;
      const conditions = 'default' in value ? { only: value } : value;
      for (const c of Object.values(conditions) as Record<string, string>[]) targets.push([entry, c.default!, c.types!]);
    }
    expect(targets.map(([entry]) => entry)).toEqual(expect.arrayContaining(['.', './api', './auto', './vitest', './node-test']));
    for (const [entry, code, types] of targets) {
      expect(files, `${entry}: ${code}`).toContain(code.slice(2));
      expect(files, `${entry}: ${types}`).toContain(types.slice(2));
      expect(types, entry).toBe(code.endsWith('.cjs') ? code.replace(/\.cjs$/, '.d.cts') : code.replace(/\.js$/, '.d.ts'));
    }
    expect(files.filter((f) => f.endsWith('.map') || f.startsWith('src/'))).toEqual([]);
    // the rest sentinel: its prebuilt binary and the source it is built from (scripts/build-rest-sentinel.sh)
    expect(files).toEqual(expect.arrayContaining(['prebuilds/linux-x64/rest-sentinel.node', 'native/rest-sentinel.c', 'scripts/build-rest-sentinel.sh']));
    expect(new Set(pkg.files).size).toBe(pkg.files.length);
  });
});
