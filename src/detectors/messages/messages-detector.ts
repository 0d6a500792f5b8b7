// The large-message detector: a postMessage (Worker, MessagePort — parentPort in a worker included —,
// BroadcastChannel) whose structured clone took >= ASYNC_DEBUG_MESSAGE_MS on the sender, or whose
// payload is estimated at >= ASYNC_DEBUG_MESSAGE_BYTES. The clone runs inside postMessage, on the
// sender's loop, so it is timed around the call; the receiver pays again to deserialize it.
// One finding per call site (count, longest clone, largest size), written when first seen and again
// (same id) as its count reaches 2, 4, 8 … and at exit.
//
// Cost: every postMessage has its own strings and buffers (and those of its first 16 values) summed;
// only one that has something nested or big is timed (two performance.now() calls), and the stack is
// read and the graph walked only for a message then found large or slow. `worker.postMessage` is Node's
// call of its port's postMessage: only MessagePort's is wrapped (one look per message, not two), and
// the Worker is named from the stack and from the mark agent/propagate.ts puts on its port. No listener is added to
// any port: the first message event of a thread loads undici's MessageEvent on Node 22+ (100+ ms on a
// busy machine).
import { BroadcastChannel, MessagePort, parentPort, threadId, type Worker } from 'node:worker_threads';
import { makeFinding, type Frame, type OtherFinding } from '../../finding.js';
import { captureOwnStack } from '../../frames/capture.js';
import { hideAgentFrames, raiseStackLimit, restoreStackLimit } from '../../frames/hide.js';
import { siteOf, toFrames } from '../../frames/frames.js';
import { formatDuration, threadName } from '../../wording.js';
import { PORT_WORKER, WORKER_NAME, threadIdentity } from '../../thread-identity.js';
import { isWrapped, replaceFunction, wrappedMark } from '../builtins.js';
import type { Detector, DetectorContext } from '../detector.js';
import { estimateBytes, quickBytes, quickWasFlat, transferList } from './size.js';

const WRAPPED = wrappedMark('messages');
/**
 * A slow postMessage of less than this was paused by something else (a GC, the scheduler on a loaded
 * machine): an object graph clones at ~20 MB/s here, so 20 ms of clone is ~400 kB, not 30 bytes.
 */
const SLOW_MIN_BYTES = 64 * 1024;

interface Receiver {
  threadId?: number;
  threadName?: string;
  channel?: string;
}

interface SiteStats {
  id: string;
  api: string;
  site: Frame | null;
  frames: Frame[];
  receiver: Receiver | null;
  time: number;
  count: number;
  totalMs: number;
  maxMs: number;
  bytes: number;
  reportedCount: number;
  nextReportAt: number;
}

type Target = 'worker' | 'port' | 'channel';

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n >= 100 * 1024 * 1024 ? 0 : 1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} kB`;
  return `${n} bytes`;
}

/** The prototype up the chain that has `key` as its own property. */
function ownerOf(proto: object | null, key: string): Record<string, unknown> | null {
  for (let p = proto; p; p = Object.getPrototypeOf(p)) if (Object.prototype.hasOwnProperty.call(p, key)) return p as Record<string, unknown>;
  return null;
}

export function startMessagesDetector({ config, emit }: DetectorContext): Detector {
  const sites = new Map<string, SiteStats>();
  let counter = 0;
  let found = 0;
  /** Inside a wrapper: the MessagePort call that BroadcastChannel makes is the same message. */
  let depth = 0;
  let stopped = false;
  const identity = threadIdentity();
  const sender = threadName(threadId, identity.name);

  function receiverOf(target: Target, self: unknown): Receiver | null {
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

  function describe(r: Receiver | null): string {
    if (!r) return 'the other end of a MessagePort';
    if (r.channel !== undefined) return `BroadcastChannel ${JSON.stringify(r.channel)}`;
    return threadName(r.threadId ?? -1, r.threadName);
  }

  function report(s: SiteStats): void {
    s.reportedCount = s.count;
    const size = `~${formatBytes(s.bytes)}`;
    const times = s.count === 1 ? '' : ` (${s.count} times at this site, ${formatDuration(s.totalMs)} in all)`;
    emit(makeFinding<OtherFinding>('large-message', {
      id: s.id,
      time: s.time,
      message:
        `${s.api} to ${describe(s.receiver)} cloned ${size} in ${formatDuration(s.maxMs)} on the ${sender}${times}; ` +
        `the receiver pays again to deserialize it. Transfer buffers instead of copying them ` +
        `(postMessage(msg, [arrayBuffer]) or a MessagePort), share a SharedArrayBuffer, or send less.`,
      site: s.site,
      frames: s.frames,
      api: s.api,
      durationMs: Math.round(s.maxMs * 100) / 100,
      totalMs: Math.round(s.totalMs * 100) / 100,
      count: s.count,
      bytes: s.bytes,
      receiver: s.receiver,
    }));
  }

  function judge(api: string, target: Target, self: unknown, wrapper: Function, args: unknown[], ms: number, quick: number): void {
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
    const frames = toFrames(raw);
    const site = siteOf(frames);
    const key = `${api} ${site ? `${site.file}:${site.line}:${site.column}` : frames[0] ? `${frames[0].file}:${frames[0].line}` : '?'}`;
    let s = sites.get(key);
    if (!s) {
      s = {
        id: `message-${threadId}-${++counter}`,
        api,
        site,
        frames,
        receiver: receiverOf(target, self),
        time: Date.now(),
        count: 0,
        totalMs: 0,
        maxMs: 0,
        bytes: 0,
        reportedCount: 0,
        nextReportAt: 1,
      };
      sites.set(key, s);
      found++;
    }
    s.count++;
    s.totalMs += ms;
    s.maxMs = Math.max(s.maxMs, ms);
    s.bytes = Math.max(s.bytes, bytes);
    if (s.count >= s.nextReportAt) {
      s.nextReportAt = s.count * 2;
      report(s);
    }
  }

  function wrap(proto: object | null, api: string, target: Target): (() => void) | null {
    const owner = ownerOf(proto, 'postMessage');
    const original = owner?.postMessage;
    if (!owner || typeof original !== 'function' || isWrapped(original, WRAPPED)) return null;
    // What the quick look found, for the timed path (which then reads `arguments` itself): the wrapper
    // only passes its own on with apply, so a message that is not timed makes no arguments object.
    let quick = 0;
    const timed = function (this: unknown): unknown {
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as unknown[];
      const bytes = quick;
      depth++;
      // A clone that throws (a function, a detached buffer) throws through two frames of ours: the stack
      // keeps as many of the app's frames as without them, and loses ours.
      const limit = raiseStackLimit(2);
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } catch (err) {
        hideAgentFrames(err);
        throw err;
      } finally {
        restoreStackLimit(limit, 2);
        const ms = performance.now() - t0;
        depth--;
        if (ms >= config.messageMs || bytes >= config.messageBytes) {
          depth++;
          try {
            judge(api, target, this, wrapper, args, ms, bytes);
          } catch {
            // never into the app
          } finally {
            depth--;
          }
        }
      }
    };
    const wrapper = function (this: unknown): unknown {
      // eslint-disable-next-line prefer-rest-params
      if (depth > 0 || stopped || arguments.length === 0) return original.apply(this, arguments);
      let flat = true;
      quick = 0;
      try {
        // eslint-disable-next-line prefer-rest-params
        quick = quickBytes(arguments[0], transferList(arguments[1]));
        flat = quickWasFlat;
      } catch {
        // a getter of the app's threw: the clone will say so
      }
      // Nothing nested and not big: its clone is quick, and timing it would be most of our cost.
      // eslint-disable-next-line prefer-rest-params
      if (flat && quick < config.messageBytes) return original.apply(this, arguments);
      // eslint-disable-next-line prefer-rest-params
      return (timed as Function).apply(this, arguments);
    };
    return replaceFunction(owner, 'postMessage', original, wrapper, WRAPPED);
  }

  const unwraps: (() => void)[] = [];
  for (const [proto, api, target] of [
    [BroadcastChannel.prototype, 'broadcastChannel.postMessage', 'channel'],
    [MessagePort.prototype, 'port.postMessage', 'port'],
  ] as const) {
    try {
      const unwrap = wrap(proto, api, target);
      if (unwrap) unwraps.push(unwrap);
    } catch {
      // that class stays unwatched
    }
  }

  return {
    name: 'large-message',
    counts: () => ({ 'large-message': found }),
    atExit() {
      for (const s of sites.values()) if (s.count !== s.reportedCount) report(s);
    },
    stop() {
      stopped = true;
      for (const u of unwraps) u();
    },
  };
}
