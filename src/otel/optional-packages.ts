// Loading the optional OpenTelemetry packages (peer dependencies the app installs when it wants them):
// from asyncdebug's own location first, then from the app's (its main script, then the working
// directory), so an asyncdebug installed elsewhere (npx, a global install) still finds the app's.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
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
