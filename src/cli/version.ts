import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; homepage?: unknown };

/** This package's version (dist/cli/ -> package.json). */
export const VERSION: string = manifest.version;

/** The package's home page when package.json names one (an absolute URL), else null. */
export const HOMEPAGE: string | null = typeof manifest.homepage === 'string' && /^https:\/\//.test(manifest.homepage) ? manifest.homepage : null;
