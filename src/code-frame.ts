// @babel/code-frame, loaded on first use: only the console reporter (in the watchdog, for the first
// block it shows) and `asyncdebug tui` draw code frames, and neither should pay for it before then.
import { createRequire } from 'node:module';

type CodeFrameColumns = typeof import('@babel/code-frame').codeFrameColumns;
let loaded: CodeFrameColumns | undefined;

/** @babel/code-frame's codeFrameColumns; throws when the package cannot be loaded. */
export function codeFrameColumns(...args: Parameters<CodeFrameColumns>): string {
  loaded ??= (createRequire(import.meta.url)('@babel/code-frame') as typeof import('@babel/code-frame')).codeFrameColumns;
  return loaded(...args);
}
