// Which frames are a module loader's: Node's own (CJS and ESM), and the userland loaders that read and
// evaluate modules themselves or hook Node's loader (vitest's runners, tsx, jiti, ts-node, babel's and
// swc's register hooks, pirates). Sync I/O such a loader makes while loading the app's modules is the
// loader's, not the app's `import` line (detectors/sync-io/attribution.ts).
import type { Frame } from '../finding.js';

/** Packages that are loaders as a whole: any frame of theirs is loading code. */
const LOADER_PACKAGES = new Set([
  'vite-node',
  'tsx',
  'jiti',
  'ts-node',
  '@babel/register',
  'pirates',
  '@swc-node/register',
  'esbuild-register',
  '@esbuild-kit/cjs-loader',
  '@esbuild-kit/esm-loader',
  'require-in-the-middle',
]);

/** Files of packages that are more than a loader, where only these files load code. */
const LOADER_FILES: [pkg: string, file: RegExp][] = [
  // vite's module runner (vitest 4 evaluates test files with it) and vitest's own evaluator
  ['vite', /^dist\/node\/module-runner\./],
  ['vitest', /^dist\/(module-evaluator\.|chunks\/(startVitestModuleRunner|nativeModuleRunner|execute)\.)/],
];

const NODE_MODULES = '/node_modules/';

/** The package a file is in (`@scope/name` or `name`) and the path inside it, or null outside node_modules. */
function packageOf(file: string): { name: string; rest: string } | null {
  const path = file.includes('\\') ? file.replace(/\\/g, '/') : file;
  const at = path.lastIndexOf(NODE_MODULES);
  if (at < 0) return null;
  const parts = path.slice(at + NODE_MODULES.length).split('/');
  const scoped = parts[0]?.startsWith('@');
  const name = scoped ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? '');
  return { name, rest: parts.slice(scoped ? 2 : 1).join('/') };
}

/** Whether the frame is in Node's own module loader (CJS, ESM, the customization hooks). */
export function isNodeLoaderFrame(frame: Frame): boolean {
  return frame.file.startsWith('node:internal/modules/');
}

/** Whether the frame is in a userland module loader's code (LOADER_PACKAGES, LOADER_FILES). */
export function isUserlandLoaderFrame(frame: Frame): boolean {
  const pkg = packageOf(frame.file);
  if (!pkg) return false;
  if (LOADER_PACKAGES.has(pkg.name)) return true;
  for (const [name, file] of LOADER_FILES) if (pkg.name === name && file.test(pkg.rest)) return true;
  return false;
}

export function isLoaderFrame(frame: Frame): boolean {
  return isNodeLoaderFrame(frame) || isUserlandLoaderFrame(frame);
}
