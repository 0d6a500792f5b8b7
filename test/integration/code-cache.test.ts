// The agent's two bundles load through V8's code cache (src/code-cache.ts). A suite of short processes
// must leave both caches behind, or each of its processes compiles again what the last one compiled.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, runNode } from '../helpers.js';

let cacheHome: string | null = null;
afterEach(() => {
  if (cacheHome) rmSync(cacheHome, { recursive: true, force: true });
  cacheHome = null;
});

describe.skipIf(process.platform !== 'linux')('code cache', () => {
  it("a process that lives 200 ms leaves the watchdog's cache too, not only the agent's", async () => {
    cacheHome = mkdtempSync(join(tmpdir(), 'asyncdebug-cache-home-'));
    // The watchdog wrote its cache 300 ms after its start: never, in such a process. A watchdog slow to
    // start on a loaded machine may not have written it yet either: three tries.
    let names: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const run = await runNode(fixture('short-life.mjs'), { env: { XDG_CACHE_HOME: cacheHome } });
      expect(run.code).toBe(0);
      names = readdirSync(join(cacheHome, 'asyncdebug'));
      if (names.some((n) => n.startsWith('worker.cjs-'))) break;
    }
    expect(names.filter((n) => n.startsWith('thread-agent.cjs-'))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith('worker.cjs-'))).toHaveLength(1);
  });
});
