// The agent's last step as its thread exits, without a listener of its own on the app's `process`: an
// `exit` listener counts toward the app's limit of ten, and an app with nine got a
// MaxListenersExceededWarning it never gets without the agent (on Node 20 under --import, Node holds one
// more while the main module loads). Node marks the thread as exiting, then looks up `process.emit` to
// emit 'exit' (from JavaScript for process.exit() and uncaught errors, from C++ when the loop ends):
// `emit` becomes an accessor on process that hands out the same function, and the first look after
// the mark runs the step, before the app's own 'exit' listeners, as the listener added at start did.
// An app (signal-exit, for one) that sets process.emit sets what the accessor hands out.

interface ExitingProcess {
  _exiting?: boolean;
  emit: Function;
}

/** Runs `last` once, when the thread exits (not when it is terminated from outside); returns how to undo. */
export function atThreadExit(last: () => void): () => void {
  const proc = process as unknown as ExitingProcess;
  const own = Object.getOwnPropertyDescriptor(proc, 'emit');
  if (own && !own.configurable) return fallbackListener(last);
  // Already an accessor (an earlier hook of the agent's, kept after stop(); or someone else's): ours
  // hands out and takes what it does.
  const outer = own && !('value' in own) ? own : null;
  let current: unknown = own?.value;
  let done = false;
  const accessor: PropertyDescriptor = {
    configurable: true,
    enumerable: own?.enumerable ?? false,
    get(this: unknown) {
      if (!done && proc._exiting === true) {
        done = true;
        try {
          last();
        } catch {
          // never into the app's exit
        }
      }
      if (outer) return outer.get?.call(proc);
      return current ?? Object.getPrototypeOf(proc).emit;
    },
    set(value: unknown) {
      if (outer) outer.set?.call(proc, value);
      else current = value;
    },
  };
  try {
    Object.defineProperty(proc, 'emit', accessor);
  } catch {
    return fallbackListener(last);
  }
  return () => {
    done = true;
    const now = Object.getOwnPropertyDescriptor(proc, 'emit');
    if (now?.get !== accessor.get) return; // someone redefined it since: theirs now
    if (outer) Object.defineProperty(proc, 'emit', outer);
    else if (own) Object.defineProperty(proc, 'emit', { ...own, value: current });
    else if (current === undefined) delete (proc as { emit?: Function }).emit;
    else Object.defineProperty(proc, 'emit', { value: current, writable: true, enumerable: true, configurable: true });
  };
}

/** Where process.emit cannot be made an accessor: one 'exit' listener. */
function fallbackListener(last: () => void): () => void {
  let done = false;
  const onExit = () => {
    if (done) return;
    done = true;
    try {
      last();
    } catch {
      // never into the app's exit
    }
  };
  process.on('exit', onExit);
  return () => {
    done = true;
    process.removeListener('exit', onExit);
  };
}
