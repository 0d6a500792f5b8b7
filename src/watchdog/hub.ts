// The findings hub: one per process, in the watchdog worker (off the app's loop). Every finding of
// every thread meets here: blocks from the block watcher next door, and the other kinds from each app
// thread's ring (protocol/ring.ts), drained as soon as a thread wakes the hub. Here run the reporters
// of place `hub` (console, tui, a standalone OpenTelemetry exporter); here every thread's loop health
// is read once a second; and from here findings go to the main thread when it asked for them
// (subscribe(), reporters of place `main`).
import type { Config } from '../config.js';
import { warnOnStderr } from '../config.js';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { reportersAt } from '../reporters/load-reporters.js';
import { HubState, type Registry } from '../protocol/registry.js';
import { ringDrain, ringPending } from '../protocol/ring.js';
import type { ThreadSlot } from '../protocol/thread-slot.js';

export interface HubOptions {
  config: Config;
  registry: Registry;
  /** Every thread's health (read from the registry). */
  health: () => ThreadHealth[];
  /** Sends a finding to the main thread (only once it asked, in the registry). */
  toMain(finding: Finding): void;
  /** At every health tick, with the same readings the hub's reporters get (the json reporter's `health` lines). */
  onHealth?(threads: readonly ThreadHealth[]): void;
  /** When the hub was woken with no finding: a thread claimed a slot (Registry.nudgeHub). */
  onNudge?(): void;
}

export interface Hub {
  /** A finding made in the watchdog itself (a block): to every reporter of the hub and to the main thread. */
  emit(finding: Finding): void;
  /** Whether an exited thread's slot may be given to a new thread: its last finding was drained. */
  drained(slot: ThreadSlot): boolean;
}

const HEALTH_MS = 1000;
/** An exited thread that never said it was done (terminated mid-way) gives its slot back after this. */
const RELEASE_AFTER_MS = 2000;

export function startHub(options: HubOptions): Hub {
  const { config, registry, health } = options;
  const reporters = reportersAt('hub', config, { warn: warnOnStderr, health });
  const exitedAt = new Map<ThreadSlot, number>();

  const deliver = (f: Finding, fromMainThread: boolean) => {
    reporters.report(f);
    // The main thread already has the findings it made itself. Its wish is read from shared memory: a
    // message asking for them could arrive after the first findings were drained.
    if (!fromMainThread && registry.findingsWantedInMain()) options.toMain(f);
  };

  let draining = false;
  const drain = () => {
    if (draining || registry.hubState() !== HubState.up) return;
    draining = true;
    try {
      for (let i = 0, n = registry.slotsUsed(); i < n; i++) {
        const slot = registry.slot(i);
        if (!ringPending(slot)) continue;
        const owner = slot.owner();
        ringDrain(slot, (f) => deliver(f as Finding, owner === 0));
      }
    } finally {
      draining = false;
    }
  };

  // The main thread at exit: every ring drained (its last findings), then the reporters send what they
  // hold (the OTLP exporter's batch) while it waits, and it is told when they are done.
  let exporting = false;
  const exportIfAsked = () => {
    if (exporting || !registry.exportAsked()) return;
    exporting = true;
    drain();
    void reporters.exportAtExit().catch(() => {}).finally(() => registry.markExported());
  };

  // Wakes on every ring write (Atomics.waitAsync: no message event, no polling delay); a tick of the
  // health timer drains too, in case a wake was missed between a drain and the next wait.
  let seen = registry.wakes();
  const wait = () => {
    const waited = registry.waitForWake(seen);
    const again = () => {
      // Woken with no new finding: a nudge (a thread claimed a slot; Registry.nudgeHub).
      const nudged = registry.wakes() === seen;
      seen = registry.wakes();
      drain();
      exportIfAsked();
      if (nudged) options.onNudge?.();
      wait();
    };
    if (waited.async) void (waited.value as Promise<string>).then(again);
    else queueMicrotask(again);
  };

  void reporters.ready.then(() => {
    // The main thread may have given up on the hub at exit (it then reported for itself).
    if (!registry.bringHubUp()) return;
    drain();
    wait();
    const timer = setInterval(() => {
      drain();
      const now = health();
      reporters.health(now);
      options.onHealth?.(now);
    }, HEALTH_MS);
    timer.unref();
  });

  return {
    emit(f) {
      deliver(f, false);
    },
    drained(slot) {
      if (registry.hubState() === HubState.gone) return true;
      drain();
      if (slot.done() && !ringPending(slot)) {
        exitedAt.delete(slot);
        return true;
      }
      if (!slot.exited()) return false;
      const since = exitedAt.get(slot) ?? Date.now();
      exitedAt.set(slot, since);
      if (Date.now() - since < RELEASE_AFTER_MS) return false;
      exitedAt.delete(slot);
      return true;
    },
  };
}
