// What the app allows to run synchronously: APIs and file globs from ASYNC_DEBUG_ALLOW_SYNC, and the
// calls inside allowSync(() => …) from asyncdebug/api.
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import type { Config } from '../../config.js';

/** Set by allowSync(): calls inside run as they are, unreported. */
let allowDepth = 0;

export function allowSync<T>(fn: () => T): T {
  allowDepth++;
  try {
    return fn();
  } finally {
    allowDepth--;
  }
}

/** True while the app runs code inside allowSync(). */
export function insideAllowSync(): boolean {
  return allowDepth > 0;
}

/** Whether a sync call of `api` from `file` is allowed by the configuration. */
export type AllowList = (api: string, file: string) => boolean;

export function createAllowList(config: Config): AllowList {
  const apis = config.allowSync.filter((a) => /^[\w$]+\.([\w$]+|\*)$/.test(a));
  const globs = config.allowSync.filter((a) => !apis.includes(a));
  let matchFile: ((path: string) => boolean) | null = null;
  if (globs.length > 0) {
    try {
      // Loaded only when the allow-list has globs; synchronously, so the first call is already judged by it.
      const picomatch = createRequire(import.meta.url)('picomatch') as typeof import('picomatch');
      const match = picomatch(globs, { dot: true });
      matchFile = (path) => match(path) || match(relative(process.cwd(), path));
    } catch {
      // picomatch missing: the API entries of the allow-list still work
    }
  }
  const apiAllowed = (api: string) => apis.some((a) => a === api || (a.endsWith('.*') && api.startsWith(a.slice(0, -1))));
  return (api, file) => apiAllowed(api) || (matchFile?.(file) ?? false);
}
