// Loading the optional OpenTelemetry packages (peer dependencies the app installs when it wants them):
// from asyncdebug's own location first, then from the app's (its main script, then the working
// directory), so an asyncdebug installed elsewhere (npx, a global install) still finds the app's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where the app's packages resolve from: its main script, then the working directory. */
export function appBases(): string[] {
  const bases: string[] = [];
  const script = process.argv[1];
  if (script) bases.push(resolve(script));
  bases.push(join(process.cwd(), 'noop.js'));
  return bases;
}

/** The app's own copy of a package, through require (undefined when the app has none). */
export function requireFromApp<T>(name: string): T | undefined {
  for (const base of appBases()) {
    try {
      return createRequire(base)(name) as T;
    } catch {
      // not from there
    }
  }
  return undefined;
}

const isMissing = (err: unknown) => {
  const code = (err as { code?: string })?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
};

/**
 * An optional package, or undefined when it is installed nowhere. Another failure (a broken install)
 * is thrown: the caller says it in its one warning line.
 */
export async function loadOptional<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  for (const base of appBases()) {
    let path: string;
    try {
      path = createRequire(base).resolve(name);
    } catch {
      continue;
    }
    const mod = (await import(pathToFileURL(path).href)) as T & { default?: T };
    return { ...(mod.default ?? {}), ...mod } as T;
  }
  return undefined;
}

/** The one line that says which install fixes a missing optional package. */
export function missingLine(what: string, packages: readonly string[]): string {
  return `the otel reporter needs ${packages.join(' and ')} for ${what}; run \`npm install ${packages.join(' ')}\` (the app runs on without it)`;
}

/** Where a package's CommonJS entry resolves, asyncdebug's location first (as loadOptional looks). */
function resolveOptional(name: string): string | undefined {
  for (const base of [import.meta.url, ...appBases()]) {
    try {
      return createRequire(base).resolve(name);
    } catch {
      // not from there
    }
  }
  return undefined;
}

/** The version of an installed package (its package.json, above its entry), or undefined. */
export function packageVersion(name: string): string | undefined {
  const entry = resolveOptional(name);
  for (let dir = entry ? dirname(entry) : ''; dir && dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json here
    }
  }
  return undefined;
}

/** Whether `version` (x.y.z) is below `major.minor`. */
export function below(version: string | undefined, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a < major || (a === major && b < minor);
}
