// Whose a sync call is, from its stack: the app's (at its frame), a module loader's (at the loader's
// frame, module-load), or nobody's. Stacks as the runners and loaders make them (paths abridged).
import { describe, expect, it } from 'vitest';
import { attributeSyncCall } from '../../../../src/detectors/sync-io/attribution.js';
import type { Frame } from '../../../../src/finding.js';

const f = (file: string, line = 1, fn = 'f'): Frame => ({ file, line, column: 1, function: fn });
const NM = '/repo/node_modules';

describe('attributeSyncCall', () => {
  it("the app's own call is the app's; a library's call for the app is at the app's frame", () => {
    const app = f('/repo/src/handler.js', 12);
    expect(attributeSyncCall([app, f('node:internal/timers')])).toEqual({ site: app, moduleLoad: false });
    expect(attributeSyncCall([f(`${NM}/config-lib/index.js`), app])).toEqual({ site: app, moduleLoad: false });
  });

  it("vitest 3: vite-node resolving the test file's import is the loader's, not the import line", () => {
    const loader = f(`${NM}/vite-node/dist/utils.mjs`, 89);
    const stack = [loader, f(`${NM}/vite-node/dist/client.mjs`, 202, 'resolveUrl'), f('/repo/test/a.test.ts', 2), f(`${NM}/vite-node/dist/client.mjs`, 397, 'runModule')];
    expect(attributeSyncCall(stack)).toEqual({ site: loader, moduleLoad: true });
  });

  it("vitest 4: vitest's fetchModule under vite's module runner is the loader's", () => {
    const fetch = f(`${NM}/vitest/dist/chunks/startVitestModuleRunner.DB-7oCpn.js`, 713, 'fetchModule');
    const stack = [fetch, f('node:internal/process/task_queues'), f(`${NM}/vite/dist/node/module-runner.js`, 1219, 'request'), f('/repo/test/a.test.ts', 2)];
    expect(attributeSyncCall(stack)).toEqual({ site: fetch, moduleLoad: true });
  });

  it("a require hook's read (pirates, tsx): Node's loader stands between it and the app's require", () => {
    const hook = f(`${NM}/some-hook/index.js`, 15);
    const stack = [hook, f('node:internal/modules/cjs/loader', 1, 'Module.load'), f('node:internal/modules/helpers', 1, 'require'), f('/repo/src/app.js', 8)];
    expect(attributeSyncCall(stack)).toEqual({ site: hook, moduleLoad: true });
  });

  it("nobody's: Node's own call, code Node's loader runs, no application frame", () => {
    expect(attributeSyncCall([f('node:internal/modules/cjs/loader'), f('/repo/src/app.js')])).toBeNull();
    // a module's top level, required lazily by the app
    expect(attributeSyncCall([f('/repo/src/config.js', 3), f('node:internal/modules/cjs/loader'), f('/repo/src/app.js', 8)])).toBeNull();
    expect(attributeSyncCall([f(`${NM}/pool/worker.js`), f('node:internal/timers')])).toBeNull();
    expect(attributeSyncCall([])).toBeNull();
  });
});
