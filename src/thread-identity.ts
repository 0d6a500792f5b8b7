// What a thread knows of its place among the app's threads, shared by the agent (which passes it on to
// the workers it sees made: agent/propagate.ts) and the detectors that name a thread (large-message).
// Ground floor: environment data and two marks, nothing else.
import { getEnvironmentData, isMainThread } from 'node:worker_threads';
import { builtin } from './lazy-builtin.js';

/** What a worker learns about itself from the thread that made it (environment data, no message). */
export interface ThreadIdentity {
  /** The Worker's `name` option, if the app gave one. */
  name: string | null;
  /** The threadId of the thread that started this one (0 for the main thread itself). */
  parent: number | null;
}
/** The environment-data key the thread that makes a worker passes its identity under. */
export const IDENTITY_KEY = 'asyncdebug:thread';
/** On a Worker object: the name the app gave it, for findings about messages to it. */
export const WORKER_NAME = Symbol.for('asyncdebug.workerName');
/**
 * On a Worker's public MessagePort (the one `worker.postMessage` posts through): the Worker. The
 * large-message detector wraps only MessagePort's postMessage, and names the receiver from this.
 */
export const PORT_WORKER = Symbol.for('asyncdebug.portWorker');

let own: ThreadIdentity | null = null;

export function threadIdentity(): ThreadIdentity {
  if (own) return own;
  own = { name: null, parent: null };
  if (!isMainThread) {
    try {
      const data = getEnvironmentData(IDENTITY_KEY) as Partial<ThreadIdentity> | undefined;
      if (data && typeof data === 'object') own = { name: typeof data.name === 'string' && data.name ? data.name : null, parent: typeof data.parent === 'number' ? data.parent : null };
      // Node 22.?+ tells a worker its name itself.
      const named = builtin<{ threadName?: unknown }>('worker_threads').threadName;
      if (!own.name && typeof named === 'string' && named && named !== 'WorkerThread') own.name = named;
    } catch {
      // unnamed
    }
  }
  return own;
}
