// The wrapper of one class's postMessage. Every call has a quick look at its message (size.ts); only one
// with something nested or big is timed (two performance.now() calls), and only one then found slow or
// big is handed to the detector to judge. A message not timed makes no arguments object.
import type { Config } from '../../config.js';
import { hideAgentFramesFromStacks, raiseStackLimit, restoreStackLimit } from '../../frames/hide.js';
import { isWrapped, replaceFunction, wrappedMark } from '../builtins.js';
import type { Target } from './receiver.js';
import { quickBytes, quickWasFlat, transferList } from './size.js';
import { monotonicNow } from '../../original.js';

const WRAPPED = wrappedMark('messages');

/** One per detector, shared by its wrappers. */
export interface PostWatch {
  readonly config: Pick<Config, 'messageMs' | 'messageBytes'>;
  /** Inside a wrapper: the MessagePort call that BroadcastChannel makes is the same message. */
  depth: number;
  stopped: boolean;
  /** A timed message that took messageMs or was estimated at messageBytes by the quick look. */
  judge(api: string, target: Target, self: unknown, wrapper: Function, args: unknown[], ms: number, quick: number): void;
}

/** The prototype up the chain that has `key` as its own property. */
function ownerOf(proto: object | null, key: string): Record<string, unknown> | null {
  for (let p = proto; p; p = Object.getPrototypeOf(p)) if (Object.prototype.hasOwnProperty.call(p, key)) return p as Record<string, unknown>;
  return null;
}

/** Wraps `proto`'s postMessage (where the chain defines it); returns how to unwrap, or null. */
export function wrapPostMessage(proto: object | null, api: string, target: Target, watch: PostWatch): (() => void) | null {
  const owner = ownerOf(proto, 'postMessage');
  const original = owner?.postMessage;
  if (!owner || typeof original !== 'function' || isWrapped(original, WRAPPED)) return null;
  hideAgentFramesFromStacks();
  const { config } = watch;
  // What the quick look found, for the timed path (which then reads `arguments` itself): the wrapper
  // only passes its own on with apply, so a message that is not timed makes no arguments object.
  let quick = 0;
  const timed = function (this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    const args = arguments as unknown as unknown[];
    const bytes = quick;
    watch.depth++;
    // A clone that throws (a function, a detached buffer) throws through two frames of ours, with no
    // catch (Node's crash header stays where it was thrown): the stack keeps as many of the app's frames
    // as without them, and shows none of ours (frames/hide.ts).
    const limit = raiseStackLimit(2);
    const t0 = monotonicNow();
    try {
      return original.apply(this, args);
    } finally {
      restoreStackLimit(limit, 2);
      const ms = monotonicNow() - t0;
      watch.depth--;
      if (ms >= config.messageMs || bytes >= config.messageBytes) {
        watch.depth++;
        try {
          watch.judge(api, target, this, wrapper, args, ms, bytes);
        } catch {
          // never into the app
        } finally {
          watch.depth--;
        }
      }
    }
  };
  const wrapper = function (this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    if (watch.depth > 0 || watch.stopped || arguments.length === 0) return original.apply(this, arguments);
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
