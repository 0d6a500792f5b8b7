// The large-message book: one finding per site, written again as its count doubles and at exit.
import { describe, expect, it } from 'vitest';
import type { Finding, Frame, OtherFinding } from '../../../../src/finding.js';
import { createMessageBook } from '../../../../src/detectors/messages/message-sites.js';
import { describeReceiver, receiverOf } from '../../../../src/detectors/messages/receiver.js';

const at = (line: number): Frame[] => [
  { file: 'node:internal/worker/io', line: 1, column: 1, function: 'postMessage' },
  { file: '/app/server.js', line, column: 9, function: 'send' },
];

function book() {
  const out: OtherFinding[] = [];
  const asked: number[] = [];
  const b = createMessageBook((f: Finding) => out.push(f as OtherFinding), 3, 'worker thread 3 "resizer"');
  const add = (line: number, ms: number, bytes: number) => b.add('port.postMessage', at(line), ms, bytes, () => (asked.push(line), { threadId: 0 }));
  return { b, out, asked, add };
}

describe('large-message sites', () => {
  it('a site is written when first seen, then as its count reaches 2, 4, 8, with its longest clone and largest size', () => {
    const { b, out, asked, add } = book();
    for (let i = 1; i <= 5; i++) add(10, i * 10, i * 1000);
    expect(out.map((f) => f.count)).toEqual([1, 2, 4]);
    expect(new Set(out.map((f) => f.id))).toEqual(new Set(['message-3-1']));
    expect(out[2]).toMatchObject({ kind: 'large-message', api: 'port.postMessage', durationMs: 40, totalMs: 100, bytes: 4000, site: { line: 10 }, receiver: { threadId: 0 } });
    expect(out[0]?.frames).toHaveLength(2);
    expect(asked).toEqual([10]); // the receiver is named once per site
    b.flush();
    expect(out.map((f) => f.count)).toEqual([1, 2, 4, 5]);
    b.flush();
    expect(out).toHaveLength(4); // nothing behind any more
    expect(b.found()).toBe(1);
  });

  it('sites are told apart by API and line, and the message says who sent how much to whom', () => {
    const { b, out, add } = book();
    add(10, 25, 3 * 1024 * 1024);
    add(11, 1, 200 * 1024);
    b.add('broadcastChannel.postMessage', at(10), 2, 900, () => ({ channel: 'jobs' }));
    expect(b.found()).toBe(3);
    expect(out.map((f) => f.id)).toEqual(['message-3-1', 'message-3-2', 'message-3-3']);
    expect(out[0]?.message).toBe(
      'port.postMessage to main thread cloned ~3.0 MB in 25 ms on the worker thread 3 "resizer"; the receiver pays again to deserialize it. ' +
        'Transfer buffers instead of copying them (postMessage(msg, [arrayBuffer]) or a MessagePort), share a SharedArrayBuffer, or send less.',
    );
    expect(out[1]?.message).toMatch(/^port\.postMessage to main thread cloned ~200 kB in 1\.0 ms/);
    expect(out[2]?.message).toMatch(/^broadcastChannel\.postMessage to BroadcastChannel "jobs" cloned ~900 bytes/);
    add(10, 5, 10);
    expect(out[3]?.message).toMatch(/ \(2 times at this site, 30 ms in all\);/);
  });

  it('receivers in words', () => {
    expect(describeReceiver(null)).toBe('the other end of a MessagePort');
    expect(describeReceiver({ threadId: 4, threadName: 'cruncher' })).toBe('worker thread 4 "cruncher"');
    expect(describeReceiver({ channel: 'x' })).toBe('BroadcastChannel "x"');
    // A port that is no worker's, in a thread that is not a worker: nobody known.
    expect(receiverOf('port', {}, { name: null, parent: null })).toBeNull();
    expect(receiverOf('worker', {}, { name: null, parent: null })).toBeNull();
  });
});
