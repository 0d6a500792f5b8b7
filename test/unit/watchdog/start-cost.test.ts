// What the watchdog loads before it has anything to report: its built bundle (dist/watchdog/boot.cjs)
// started for real in a worker of its own, with a registry no thread has claimed.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/config.js';
import { Registry } from '../../../src/protocol/registry.js';
import { ROOT } from '../../helpers.js';

describe('the watchdog at start', () => {
  it('makes its console reporter only for a first finding: chalk, node:tty and node:net are not loaded before', async () => {
    const config = readConfig({ ASYNC_DEBUG_REPORTERS: 'console', ASYNC_DEBUG_CODE_CACHE: '0' });
    const boot = join(ROOT, 'dist', 'watchdog', 'boot.cjs');
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const before = process.moduleLoadList.filter((m) => /^NativeModule (tty|net)$/.test(m));
       require(${JSON.stringify(boot)});
       setTimeout(() => parentPort.postMessage({ before, after: process.moduleLoadList.filter((m) => /^NativeModule (tty|net)$/.test(m)) }), 200);`,
      { eval: true, workerData: { config, intervalMs: 10, registry: new Registry().buffer, mainExecArgv: [] }, stdout: true, stderr: true },
    );
    const loaded = await new Promise<{ before: string[]; after: string[] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(loaded.before).toEqual([]);
    expect(loaded.after).toEqual([]);
  });
});
