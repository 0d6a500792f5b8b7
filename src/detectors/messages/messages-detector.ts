// The large-message detector: a postMessage (Worker, MessagePort — parentPort in a worker included —,
// BroadcastChannel) whose structured clone took >= ASYNC_DEBUG_MESSAGE_MS on the sender, or whose
// payload is estimated at >= ASYNC_DEBUG_MESSAGE_BYTES. The clone runs inside postMessage, on the
// sender's loop, so it is timed around the call (post-wrapper.ts); the receiver pays again to
// deserialize it. One finding per call site (message-sites.ts).
//
// Cost: every postMessage has its own strings and buffers (and those of its first 16 values) summed;
// only one that has something nested or big is timed, and the stack is read and the graph walked only
// for a message then found large or slow. `worker.postMessage` is Node's call of its port's
// postMessage: only MessagePort's is wrapped (one look per message, not two), and the Worker is named
// from the stack and from the mark agent/propagate.ts puts on its port (receiver.ts). No listener is
// added to any port: the first message event of a thread loads undici's MessageEvent on Node 22+
// (100+ ms on a busy machine).
import { BroadcastChannel, MessagePort, parentPort, threadId } from 'node:worker_threads';
import type { Config } from '../../config.js';
import { captureOwnStack } from '../../frames/capture.js';
import { toFrames } from '../../frames/frames.js';
import { threadIdentity, type ThreadIdentity } from '../../thread-identity.js';
import { threadName } from '../../wording.js';
import type { Detector, DetectorContext } from '../detector.js';
import { createMessageBook, type MessageBook } from './message-sites.js';
import { wrapPostMessage, type PostWatch } from './post-wrapper.js';
import { receiverOf, type Target } from './receiver.js';
import { estimateBytes, transferList } from './size.js';

/**
 * A slow postMessage of less than this was paused by something else (a GC, the scheduler on a loaded
 * machine): an object graph clones at ~20 MB/s here, so 20 ms of clone is ~400 kB, not 30 bytes.
 */
const SLOW_MIN_BYTES = 64 * 1024;

/** Judges a timed message: the API as the app called it, its size, and, if large or slow, its site. */
function judgeWith(book: MessageBook, config: Pick<Config, 'messageBytes'>, identity: ThreadIdentity): PostWatch['judge'] {
  return (api, target, self, wrapper, args, ms, quick) => {
    if (target === 'port' && self === parentPort) api = 'parentPort.postMessage';
    let raw = captureOwnStack(wrapper);
    if (target === 'port' && raw[0]?.file === 'node:internal/worker' && raw[0].function === 'postMessage') {
      // Worker.prototype.postMessage, passing the app's message on to the worker's port.
      api = 'worker.postMessage';
      target = 'worker';
      raw = raw.slice(1);
    }
    // Node's own messages (a Worker's start-up data, its stdio) are not the app's postMessage.
    if (raw[0]?.file.startsWith('node:')) return;
    // Estimated before anything else: the stack is read only for a message big enough to be a finding.
    const size = estimateBytes(args[0], transferList(args[1]));
    const bytes = Math.max(size.bytes, quick);
    if (bytes < config.messageBytes && bytes < SLOW_MIN_BYTES) return;
    const to: Target = target;
    book.add(api, toFrames(raw), ms, bytes, () => receiverOf(to, self, identity));
  };
}

export function startMessagesDetector({ config, emit }: DetectorContext): Detector {
  const identity = threadIdentity();
  const book = createMessageBook(emit, threadId, threadName(threadId, identity.name));
  const watch: PostWatch = { config, depth: 0, stopped: false, judge: judgeWith(book, config, identity) };
  const unwraps: (() => void)[] = [];
  for (const [proto, api, target] of [
    [BroadcastChannel.prototype, 'broadcastChannel.postMessage', 'channel'],
    [MessagePort.prototype, 'port.postMessage', 'port'],
  ] as const) {
    try {
      const unwrap = wrapPostMessage(proto, api, target, watch);
      if (unwrap) unwraps.push(unwrap);
    } catch {
      // that class stays unwatched
    }
  }
  return {
    name: 'large-message',
    counts: () => ({ 'large-message': book.found() }),
    atExit() {
      book.flush();
    },
    stop() {
      watch.stopped = true;
      for (const u of unwraps) u();
    },
  };
}
