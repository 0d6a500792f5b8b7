// Where a thread hands its findings besides its outbox: to the app's subscribers (subscribe()) and, in
// the main thread, to the reporters of place `main` (the app's own OpenTelemetry SDK), which get every
// thread's findings there: this thread's own from the agent, the others' from the hub.
import { warnOnStderr, type Config } from '../config.js';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { reportersAt } from '../reporters/load-reporters.js';

export type FindingListener = (finding: Finding) => void;

export interface LocalDelivery {
  /** Whether some reporter of place `main` wants every thread's findings. */
  readonly wantsAll: boolean;
  deliver(finding: Finding): void;
  /** The thread's summary: delivered, with the reporters flushed first (the process is exiting). */
  deliverLast(summary: Finding): void;
  subscribe(listener: FindingListener): () => void;
  close(): void;
}

export function openLocalDelivery(config: Config, isMain: boolean, health: () => ThreadHealth[]): LocalDelivery {
  const listeners = new Set<FindingListener>();
  const mainReporters = isMain ? reportersAt('main', config, { warn: warnOnStderr, health }) : null;
  const notify = (f: Finding) => {
    for (const l of listeners) {
      try {
        l(f);
      } catch {
        // a listener's error is its own
      }
    }
  };
  return {
    wantsAll: !!mainReporters && mainReporters.names.length > 0,
    deliver(f) {
      mainReporters?.report(f);
      notify(f);
    },
    deliverLast(summary) {
      mainReporters?.report(summary);
      mainReporters?.flush();
      notify(summary);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close() {
      mainReporters?.close();
    },
  };
}
