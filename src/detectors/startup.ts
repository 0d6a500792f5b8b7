// "Is the app past start-up?": one answer per thread, shared by every detector. Start-up ends at the
// app's first loop turn (before it, the entry modules run and no callback can; module loading would
// read as blocking, sync I/O and pool waits). With ASYNC_DEBUG_SYNC_AFTER=listening, `serving` waits
// further, for the first server to listen. At exit the loop is done: nothing runs on it any more.
import type { Config } from '../config.js';
import { builtin } from '../lazy-builtin.js';
import { beginLookingForImports } from './builtins.js';

export interface StartupPhase {
  /** The app's first loop turn has come. Plain fields, read on hot paths. */
  turned: boolean;
  /** Past start-up as ASYNC_DEBUG_SYNC_AFTER says: the first turn, or the first server listening. */
  serving: boolean;
  /** The process is exiting: the loop is done. */
  exiting: boolean;
}

export interface StartupControl {
  readonly phase: StartupPhase;
  /** Called at exit, before the detectors' own atExit. */
  exit(): void;
  stop(): void;
}

export function startStartupPhase(config: Config): StartupControl {
  const phase: StartupPhase = { turned: false, serving: false, exiting: false };
  // Whichever phase of the first loop turn comes first: this timer is older than any of the app's,
  // so it runs before them even when module loading outlasted their delays.
  const turn = () => {
    if (phase.turned) return;
    phase.turned = true;
    if (config.syncAfter === 'turn') phase.serving = true;
    // From now on a builtin's first load is the app's lazy require, not start-up.
    beginLookingForImports();
  };
  setTimeout(turn, 0).unref();
  setImmediate(turn).unref();

  let restoreListen: (() => void) | null = null;
  if (config.syncAfter === 'listening') {
    const net = builtin<typeof import('node:net')>('net');
    const proto = net.Server.prototype as unknown as { listen: Function };
    const listen = proto.listen;
    proto.listen = function (this: import('node:net').Server, ...args: unknown[]) {
      this.once('listening', () => (phase.serving = true));
      return Reflect.apply(listen, this, args);
    };
    restoreListen = () => {
      proto.listen = listen;
    };
  }
  return {
    phase,
    exit() {
      phase.exiting = true;
    },
    stop() {
      restoreListen?.();
      restoreListen = null;
    },
  };
}
