// Where a thread's own findings go: to the reporters of place `thread` (json, written the moment the
// finding is made), and to the hub through the thread's ring. With no hub (no agent in the main
// thread, a watchdog that could not start or never came up), the thread reports for itself with the
// plain console lines, and at exit the main thread takes over every ring the hub did not drain.
import type { Config } from '../config.js';
import { warnOnStderr } from '../config.js';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { createPlainConsoleReporter } from '../reporters/console-plain.js';
import { summaryHasLine } from '../reporters/console-format.js';
import { exitExportMs, reportersAt } from '../reporters/load-reporters.js';
import type { Reporter } from '../reporters/reporter.js';
import { HubState, type Registry, type WatchedSlot } from '../protocol/registry.js';
import { ringAwaitDrained, ringDrain, ringDropped, ringPending, ringPush } from '../protocol/ring.js';

export interface Outbox {
  send(finding: Finding): void;
  /** The thread's last finding (its summary): sent, and at the main thread's exit, seen reported. */
  close(summary: Finding): void;
  /** Findings that did not fit in the ring (the hub never saw them). */
  dropped(): number;
}

export interface OutboxOptions {
  config: Config;
  /** The registry and this thread's slot in it; null when nobody watches this thread. */
  watched: WatchedSlot | null;
  isMain: boolean;
  /** Every thread's health, for the reporters. */
  health: () => ThreadHealth[];
}

/** How long the main thread's exit waits for the hub to report its last findings (console lines). */
const EXIT_WAIT_MS = 250;

export function openOutbox({ config, watched, isMain, health }: OutboxOptions): Outbox {
  const own = reportersAt('thread', config, { warn: warnOnStderr, health });
  const hubConsole = config.reporters.includes('console');
  let local: Reporter | null = null;
  /** Reporting for itself: the plain console lines stand in for the hub's console. */
  const selfReport = (): Reporter => (local ??= hubConsole ? createPlainConsoleReporter() : { report() {} });

  const send = (f: Finding) => {
    own.report(f);
    if (!watched || watched.registry.hubState() === HubState.gone) selfReport().report(f);
    else ringPush(watched.slot, watched.registry, f);
  };

  /** The main thread at exit, with a hub that never came up: reports what every ring still holds. */
  const takeOver = (registry: Registry) => {
    const console = selfReport();
    for (let i = 0, n = registry.slotsUsed(); i < n; i++) {
      const s = registry.slot(i);
      // ringDrain skips a finding whose reporting throws.
      if (ringPending(s)) ringDrain(s, (f) => console.report(f as Finding));
    }
  };

  return {
    send,
    close(summary) {
      // Nothing for the hub's console to print: no finding waiting in the ring, and a summary that counts
      // none gets no line. The exit then does not wait for the hub (~7 ms of a short process's wall time,
      // the hub making its console reporter for this summary).
      const silent = watched !== null && !ringPending(watched.slot) && summary.kind === 'summary' && !summaryHasLine(summary);
      send(summary);
      watched?.slot.markDone();
      own.flush();
      if (!isMain || !watched) return;
      const { registry, slot } = watched;
      const state = registry.hubState();
      if (state === HubState.gone || (state === HubState.starting && registry.giveUpOnHub())) {
        takeOver(registry);
        return;
      }
      // The hub is up: its console lines for this thread come out before the process is gone.
      if (state === HubState.up && hubConsole && !silent) ringAwaitDrained(slot, EXIT_WAIT_MS);
      // ...and an exporter that sends asynchronously (OTLP) sends the exit's findings and counts (bounded).
      const exportMs = state === HubState.up ? exitExportMs(config) : 0;
      if (exportMs > 0) registry.exportAtExit(exportMs);
    },
    dropped: () => (watched ? ringDropped(watched.slot) : 0),
  };
}
