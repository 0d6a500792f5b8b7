// What the watchdog loads before it has anything to report: its built bundle (dist/watchdog/boot.cjs)
// started for real in a worker of its own, with a registry no thread has claimed.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/config.js';
import { Registry } from '../../../src/protocol/registry.js';
import { ringPending, ringPush } from '../../../src/protocol/ring.js';
import { ROOT } from '../../helpers.js';

/**
 * The real watchdog bundle in a worker, with a registry where one thread (id 7) put `finding` in its
 * ring: which of node:tty and node:net the watchdog loaded once it read the ring.
 */
async function loadedAfter(finding: object): Promise<string[]> {
  const config = readConfig({ ASYNC_DEBUG_REPORTERS: 'console', ASYNC_DEBUG_CODE_CACHE: '0' });
  const registry = new Registry();
  const slot = registry.claim(7)!;
  ringPush(slot, registry, finding);
  const boot = join(ROOT, 'dist', 'watchdog', 'boot.cjs');
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     require(${JSON.stringify(boot)});
     parentPort.on('message', () => parentPort.postMessage(process.moduleLoadList.filter((m) => /^NativeModule (tty|net)$/.test(m))));`,
    { eval: true, workerData: { config, intervalMs: 10, registry: registry.buffer, mainExecArgv: [] }, stdout: true, stderr: true },
  );
  // The hub hands each finding to its reporters before it frees the finding's bytes (ring.ts): once the
  // ring is read, the console reporter was made or not. Up to 10 s: the watchdog starts late when loaded.
  for (const end = Date.now() + 10_000; ringPending(slot) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  expect(ringPending(slot), 'the watchdog read the ring').toBe(false);
  worker.postMessage('list');
  const loaded = await new Promise<string[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  return loaded;
}

const summary = (counts: Record<string, number>) => ({ v: 1, id: 'summary-7', kind: 'summary', time: Date.now(), pid: process.pid, threadId: 7, message: 'summary', site: null, frames: [], loopDelay: { p50: 0, p99: 0, max: 0 }, elu: 0, counts });

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

  it('a summary that counts no finding (a clean thread ending) does not make it; one that counts a finding does', async () => {
    expect(await loadedAfter(summary({ block: 0, 'sync-io': 0 }))).toEqual([]);
    expect(await loadedAfter(summary({ 'sync-io': 1 }))).toContain('NativeModule tty');
  });
});
