// The in-thread heartbeat, run for real in this test's thread: it rests once its loop has been idle for
// a while, and an HTTP request that reaches it while it rests wakes it before the request's handler runs
// (Node publishes `http.server.request.start` right before it emits `request`). The request listener is
// there only while the thread rests: while it beats, a request costs nothing more.
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startBlockDetector } from '../../../../src/detectors/block/heartbeat.js';
import { Registry } from '../../../../src/protocol/registry.js';
import { threadId } from 'node:worker_threads';

const REQUEST_START = 'http.server.request.start';

async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (what()) return true;
  return what();
}

describe.skipIf(process.platform !== 'linux')('the heartbeat of a resting thread', () => {
  it('an HTTP request wakes it before its handler runs; it listens for requests only while it rests', async () => {
    const listenersBefore = diagnostics.hasSubscribers(REQUEST_START);
    const slot = new Registry().claim(threadId)!;
    const detector = startBlockDetector(100, 10, null, slot);
    let restingInHandler: boolean | null = null;
    const server = http.createServer((_req, res) => {
      restingInHandler = slot.resting();
      res.end('ok');
    });
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      // Awake (the first second, then five quiet beats): no listener of ours.
      expect(slot.resting()).toBe(false);
      expect(diagnostics.hasSubscribers(REQUEST_START)).toBe(listenersBefore);
      expect(await until(() => slot.resting(), 8000), 'the thread never rested').toBe(true);
      expect(diagnostics.hasSubscribers(REQUEST_START)).toBe(true);

      const body = await new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toBe('ok');
      // The handler ran after the request woke the thread, and the listener was gone with the rest.
      expect(restingInHandler).toBe(false);
      expect(diagnostics.hasSubscribers(REQUEST_START)).toBe(listenersBefore);
    } finally {
      detector.stop();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(diagnostics.hasSubscribers(REQUEST_START)).toBe(listenersBefore);
  }, 15_000);
});
