// The findings hub: one per process, in the watchdog worker (off the app's loop). Every finding of
// every thread meets here: blocks from the block watcher next door, and the other kinds from each app
// thread's ring (hub/ring.ts), drained as soon as a thread wakes the hub. Here run the reporters of
// place `hub` (console, tui, a standalone OpenTelemetry exporter); here every thread's loop health is
// read once a second; and from here findings go to the main thread when it asked for them
// (subscribe(), reporters of place `main`).
import type { Config } from '../config.js';
import { warnOnStderr } from '../config.js';
import type { Finding } from '../finding.js';
import { reportersAt } from '../reporters/load.js';
import { DONE, EXITED, HUB_GONE, HUB_STARTING, HUB_STATE, HUB_UP, MAX_THREADS, TO_MAIN, WAKE, registryGlobals, registrySlot, slotOwner, slotsUsed, type ThreadSlot } from '../watchdog/registry.js';
import { readHealth } from './health.js';
import { ringDrain, ringPending } from './ring.js';

export interface HubOptions {
  config: Config;
  registry: SharedArrayBuffer;
  /** Sends a finding to the main thread (only once it asked: TO_MAIN in the registry). */
  toMain(finding: Finding): void;
}

export interface Hub {
  /** A finding made in the watchdog itself (a block): to every reporter of the hub and to the main thread. */
  emit(finding: Finding): void;
  /** Whether an exited thread's slot may be given to a new thread: its last finding was drained. */
  drained(slot: ThreadSlot): boolean;
}

// In the ES2024 lib, not in the one this package compiles against; Node has it since 16.
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}

const HEALTH_MS = 1000;
/** An exited thread that never said it was done (terminated mid-way) gives its slot back after this. */
const RELEASE_AFTER_MS = 2000;

export function startHub(options: HubOptions): Hub {
  const { config, registry } = options;
  const globals = registryGlobals(registry);
  const slots = Array.from({ length: MAX_THREADS }, (_, i) => registrySlot(registry, i));
  const reporters = reportersAt('hub', config, { warn: warnOnStderr, health: () => readHealth(registry, config.slowMs, slots) });
  const exitedAt = new Map<ThreadSlot, number>();

  const deliver = (f: Finding, fromMainThread: boolean) => {
    reporters.report(f);
    // The main thread already has the findings it made itself. Its wish is read from shared memory: a
    // message asking for them could arrive after the first findings were drained.
    if (!fromMainThread && Atomics.load(globals, TO_MAIN) === 1) options.toMain(f);
  };

  let draining = false;
  const drain = () => {
    if (draining || Atomics.load(globals, HUB_STATE) !== HUB_UP) return;
    draining = true;
    try {
      for (let i = 0, n = slotsUsed(registry); i < n; i++) {
        const slot = slots[i] as ThreadSlot;
        if (!ringPending(slot)) continue;
        const owner = slotOwner(slot);
        ringDrain(slot, (f) => deliver(f as Finding, owner === 0));
      }
    } finally {
      draining = false;
    }
  };

  // Wakes on every ring write (Atomics.waitAsync: no message event, no polling delay); a tick of the
  // health timer drains too, in case a wake was missed between a drain and the next wait.
  let seen = Atomics.load(globals, WAKE);
  const wait = () => {
    const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(globals, WAKE, seen);
    const again = () => {
      seen = Atomics.load(globals, WAKE);
      drain();
      wait();
    };
    if (waited.async) void (waited.value as Promise<string>).then(again);
    else queueMicrotask(again);
  };

  void reporters.ready.then(() => {
    // The main thread may have given up on the hub at exit (it then reported for itself).
    if (Atomics.compareExchange(globals, HUB_STATE, HUB_STARTING, HUB_UP) !== HUB_STARTING) return;
    drain();
    wait();
    const timer = setInterval(() => {
      drain();
      reporters.health(readHealth(registry, config.slowMs, slots));
    }, HEALTH_MS);
    timer.unref();
  });

  return {
    emit(f) {
      deliver(f, false);
    },
    drained(slot) {
      if (Atomics.load(globals, HUB_STATE) === HUB_GONE) return true;
      drain();
      if (Atomics.load(slot.i32, DONE) === 1 && !ringPending(slot)) {
        exitedAt.delete(slot);
        return true;
      }
      if (slot.f64[EXITED] !== 1) return false;
      const since = exitedAt.get(slot) ?? Date.now();
      exitedAt.set(slot, since);
      if (Date.now() - since < RELEASE_AFTER_MS) return false;
      exitedAt.delete(slot);
      return true;
    },
  };
}

