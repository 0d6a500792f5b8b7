// The start-up phase in the test's own process: the first loop turn, and the first server listening.
import { createServer, Server } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/config.js';
import { startStartupPhase } from '../../../src/detectors/startup.js';

describe('startup phase', () => {
  it('start-up ends at the next loop turn; exit() says the loop is done', async () => {
    const control = startStartupPhase(readConfig({}, () => {}));
    expect(control.phase).toEqual({ turned: false, serving: false, exiting: false });
    await new Promise((resolve) => setImmediate(resolve));
    expect(control.phase).toEqual({ turned: true, serving: true, exiting: false });
    control.exit();
    expect(control.phase.exiting).toBe(true);
    control.stop();
  });

  it('with ASYNC_DEBUG_SYNC_AFTER=listening, serving waits for the first server to listen; stop() puts listen back', async () => {
    const listen = Server.prototype.listen;
    const control = startStartupPhase(readConfig({ ASYNC_DEBUG_SYNC_AFTER: 'listening' }, () => {}));
    expect(Server.prototype.listen).not.toBe(listen);
    await new Promise((resolve) => setImmediate(resolve));
    expect(control.phase).toMatchObject({ turned: true, serving: false });
    const server = createServer();
    try {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      expect(control.phase.serving).toBe(true);
    } finally {
      server.close();
      control.stop();
    }
    expect(Server.prototype.listen).toBe(listen);
  });
});
