// The large-message detector in the test's own process: real ports and channels, real clones.
import { BroadcastChannel, MessageChannel, MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startMessagesDetector } from '../../../../src/detectors/messages/messages-detector.js';
import type { Detector } from '../../../../src/detectors/detector.js';
import { mentionsAgentFile } from '../../../../src/frames/agent-files.js';
import { detectorContext, type TestContext } from '../context.js';

const HERE = fileURLToPath(import.meta.url);
const ORIGINAL = MessagePort.prototype.postMessage;
const MB = 1024 * 1024;

let detector: Detector | null = null;
let ctx: TestContext;
const closers: { close(): void }[] = [];

function start(bytes = 512 * 1024): void {
  ctx = detectorContext({ ASYNC_DEBUG_MESSAGE_BYTES: String(bytes) });
  detector = startMessagesDetector(ctx);
}

function channel(): MessageChannel {
  const c = new MessageChannel();
  closers.push(c.port1, c.port2);
  return c;
}

/** The app's function that posts: the site a finding names. */
function sendCopy(port: MessagePort): void {
  port.postMessage({ frame: new Uint8Array(MB) });
}
/** The findings made at this file's lines. */
const ours = () => ctx.findings.filter((f) => f.site?.file === HERE);

afterEach(() => {
  detector?.stop();
  detector = null;
  for (const c of closers.splice(0)) c.close();
});

describe('large-message detector (in-process)', () => {
  it('a big copied buffer is a finding at the line that posted it; small and transferred ones are not', () => {
    start();
    const { port1 } = channel();
    port1.postMessage({ small: 'hello' });
    const moved = new Uint8Array(MB);
    port1.postMessage({ frame: moved }, [moved.buffer]);
    sendCopy(port1);
    const found = ours();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'large-message', api: 'port.postMessage', count: 1, receiver: null, site: { file: HERE, function: 'sendCopy' } });
    expect(found[0]!.bytes as number).toBeGreaterThanOrEqual(MB);
    expect(detector!.counts()).toEqual({ 'large-message': 1 });
  });

  it('a BroadcastChannel is named, and its message is one finding (it posts through a MessagePort of its own)', () => {
    start();
    const bc = new BroadcastChannel('asyncdebug-test');
    closers.push(bc);
    bc.postMessage(new Uint8Array(MB));
    expect(ours().map((f) => [f.api, f.receiver])).toEqual([['broadcastChannel.postMessage', { channel: 'asyncdebug-test' }]]);
  });

  it('messages from one line add up: written at 1 and 2, and with the final count at exit', () => {
    start();
    const { port1 } = channel();
    for (let i = 0; i < 3; i++) port1.postMessage(new Uint8Array(MB));
    expect(ours().map((f) => f.count)).toEqual([1, 2]);
    detector!.atExit();
    expect(ours().map((f) => f.count)).toEqual([1, 2, 3]);
    expect(new Set(ours().map((f) => f.id)).size).toBe(1);
  });

  it('a clone that throws throws as without the agent: the error\'s stack names none of its files', () => {
    start();
    const { port1 } = channel();
    let error: unknown;
    try {
      port1.postMessage({ nested: { run() {} } });
    } catch (err) {
      error = err;
    }
    expect((error as Error).name).toBe('DataCloneError');
    expect((error as Error).stack).toContain(HERE);
    expect(mentionsAgentFile((error as Error).stack!)).toBe(false);
    expect(ours()).toEqual([]);
  });

  it('stop() puts postMessage back', () => {
    start();
    expect(MessagePort.prototype.postMessage).not.toBe(ORIGINAL);
    detector!.stop();
    detector = null;
    expect(MessagePort.prototype.postMessage).toBe(ORIGINAL);
  });
});
