// A reporter compiled into the bundle of its place (the watchdog holds the console reporter) is made at
// once: nothing to import, so the hub is ready at its start and the first finding is reported in the same
// call. A reporter of the table with a module of its own still loads it, and findings wait for it.
import { describe, expect, it } from 'vitest';
import { bundleReporter, reportersAt } from '../../../src/reporters/load-reporters.js';
import { makeFinding, type Finding } from '../../../src/finding.js';
import type { Config } from '../../../src/config.js';
import { readConfig } from '../../../src/config.js';

const finding = (id: string): Finding => makeFinding('sync-io', { id, message: 'm', site: null, frames: [] });

describe('reportersAt', () => {
  it('a bundled reporter gets the first finding synchronously, and ready is already settled', async () => {
    const got: string[] = [];
    bundleReporter('console', () => ({ report: (f) => void got.push(f.id) }));
    const config: Config = { ...readConfig({}, () => {}), reporters: ['console'] };
    const hub = reportersAt('hub', config, { warn: () => {}, health: () => [] });
    expect(hub.names).toEqual(['console']);
    hub.report(finding('a'));
    expect(got).toEqual(['a']);
    // Settled before any I/O could have loaded a module (the hub comes up on it: watchdog/hub.ts).
    const first = await Promise.race([hub.ready.then(() => 'ready'), new Promise((r) => setImmediate(() => r('a turn of the loop')))]);
    expect(first).toBe('ready');
  });
});
