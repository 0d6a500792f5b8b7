// Where a thread's own findings go: to the reporters of place `thread` (json, written the moment the
// finding is made), and to the hub through the thread's ring. With no hub (no agent in the main
// thread, a watchdog that could not start or never came up), the thread reports for itself with the
// plain console lines, and at exit the main thread takes over every ring the hub did not drain.
import type { Config } from '../config.js';
import { warnOnStderr } from '../config.js';
import type { Finding } from '../finding.js';
import { atomicsWait } from '../original.js';
import { createPlainConsoleReporter } from '../reporters/console-plain.js';
import { reportersAt } from '../reporters/load.js';
import type { Reporter } from '../reporters/reporter.js';
import { DONE, HUB_GONE, HUB_STARTING, HUB_STATE, HUB_UP, RING_READ, registryGlobals, registrySlot, slotsUsed, type ThreadSlot } from '../watchdog/registry.js';
import { readHealth } from './health.js';
import { ringDrain, ringDropped, ringPending, ringPush } from './ring.js';

export interface Outbox {
  send(finding: Finding): void;
  /** The thread's last finding (its summary): sent, and at the main thread's exit, seen reported. */
  close(summary: Finding): void;
  /** Findings that did not fit in the ring (the hub never saw them). */
  dropped(): number;
}

/** How long the main thread's exit waits for the hub to report its last findings (console lines). */
const EXIT_WAIT_MS = 250;

export function openOutbox(config: Config, registry: SharedArrayBuffer | null, slot: ThreadSlot | null, isMain: boolean): Outbox {
  const globals = registry ? registryGlobals(registry) : null;
  const own = reportersAt('thread', config, { warn: warnOnStderr, health: () => (registry ? readHealth(registry, config.slowMs) : []) });
  const hubConsole = config.reporters.includes('console');
  let local: Reporter | null = null;
  /** Reporting for itself: the plain console lines stand in for the hub's console. */
  const selfReport = (): Reporter => (local ??= hubConsole ? createPlainConsoleReporter() : { report() {} });
  const hubGone = () => !globals || !slot || Atomics.load(globals, HUB_STATE) === HUB_GONE;

  const send = (f: Finding) => {
    own.report(f);
    if (hubGone()) selfReport().report(f);
    else ringPush(slot as ThreadSlot, globals, f);
  };

  /** The main thread at exit, with a hub that never came up: reports what every ring still holds. */
  const takeOver = () => {
    const console = selfReport();
    for (let i = 0, n = slotsUsed(registry as SharedArrayBuffer); i < n; i++) {
      const s = registrySlot(registry as SharedArrayBuffer, i);
      // ringDrain skips a finding whose reporting throws.
      if (ringPending(s)) ringDrain(s, (f) => console.report(f as Finding));
    }
  };

  return {
    send,
    close(summary) {
      send(summary);
      if (slot) Atomics.store(slot.i32, DONE, 1);
      own.flush();
      if (!isMain || !globals || !slot) return;
      const state = Atomics.load(globals, HUB_STATE);
      if (state === HUB_GONE || (state === HUB_STARTING && Atomics.compareExchange(globals, HUB_STATE, HUB_STARTING, HUB_GONE) === HUB_STARTING)) {
        takeOver();
        return;
      }
      // The hub is up: its console lines for this thread come out before the process is gone.
      if (state !== HUB_UP || !hubConsole) return;
      const deadline = Date.now() + EXIT_WAIT_MS;
      while (ringPending(slot) && Date.now() < deadline) {
        atomicsWait(slot.i32, RING_READ, Atomics.load(slot.i32, RING_READ), Math.max(1, deadline - Date.now()));
      }
    },
    dropped: () => (slot ? ringDropped(slot) : 0),
  };
}
