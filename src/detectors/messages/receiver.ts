// Who receives a message: the Worker a worker.postMessage goes to (named from the mark
// agent/propagate.ts puts on its port), the parent thread of a parentPort, or a BroadcastChannel.
import { parentPort, type BroadcastChannel, type Worker } from 'node:worker_threads';
import { PORT_WORKER, WORKER_NAME, type ThreadIdentity } from '../../thread-identity.js';
import { threadName } from '../../wording.js';

export interface Receiver {
  threadId?: number;
  threadName?: string;
  channel?: string;
}

/** What postMessage was called on: a Worker (through its public port), a MessagePort, a channel. */
export type Target = 'worker' | 'port' | 'channel';

/** The receiver of a message posted on `self`; null when the other end is not known. */
export function receiverOf(target: Target, self: unknown, identity: ThreadIdentity): Receiver | null {
  try {
    if (target === 'worker') {
      const w = (self as { [PORT_WORKER]?: Worker & { [WORKER_NAME]?: string } })[PORT_WORKER];
      if (!w) return null;
      const name = w[WORKER_NAME];
      return { threadId: w.threadId, ...(name ? { threadName: name } : {}) };
    }
    if (target === 'channel') return { channel: String((self as BroadcastChannel).name) };
    if (self === parentPort && parentPort) return { threadId: identity.parent ?? 0 };
  } catch {
    // unknown
  }
  return null;
}

/** The receiver in words, for a finding's message. */
export function describeReceiver(r: Receiver | null): string {
  if (!r) return 'the other end of a MessagePort';
  if (r.channel !== undefined) return `BroadcastChannel ${JSON.stringify(r.channel)}`;
  return threadName(r.threadId ?? -1, r.threadName);
}
