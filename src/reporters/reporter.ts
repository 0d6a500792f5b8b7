import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';

/**
 * A reporter takes each finding when it is made. It must not throw into the app and must not block
 * for long; one that throws anyway is disabled with one warning (see fanOut).
 */
export interface Reporter {
  report(finding: Finding): void;
  /** About once a second where the reporter runs: the loop health of every watched thread. */
  health?(threads: readonly ThreadHealth[]): void;
  /** At exit (synchronous: nothing asynchronous runs after 'exit'). */
  flush?(): void;
  /**
   * In the hub, as the process exits: send what the reporter still holds (an exporter's batch). The
   * watchdog's loop still runs then; the main thread waits for this at most its entry's `exitExportMs`.
   */
  exportAtExit?(): Promise<void>;
  /** When the agent stops or the process exits; after close, report() is not called again. */
  close?(): void;
}

/**
 * Where a reporter runs. `thread`: in every app thread, for the findings made there, written the moment
 * they are made (json: a killed process keeps every line). `hub`: in the watchdog worker, for every
 * finding of the process (never on the app's loop). `main`: in the app's main thread, for every finding
 * of the process, forwarded by the hub (for what only the main thread has, like the app's own
 * OpenTelemetry SDK).
 */
export type ReporterPlace = 'thread' | 'hub' | 'main';

export interface ReporterContext {
  config: Config;
  /** One line on stderr, prefixed `asyncdebug:`. */
  warn(line: string): void;
  /** The loop health of every watched thread now (reads shared memory; cheap). */
  health(): ThreadHealth[];
}

export interface ReporterEntry {
  /** Where this reporter runs under this configuration. */
  place(config: Config): ReporterPlace;
  /**
   * Its module, relative to dist/reporters/ (e.g. `otel.js`), loaded only when the reporter is asked for
   * (never into an app that does not use it). It exports `createReporter(context)`, which returns the
   * reporter or a promise of it; findings that arrive meanwhile wait for it, in order.
   */
  module: string;
  /** Built in and synchronous, for a reporter that must take its first finding the moment it is made
   *  (json: a killed process keeps every line); when given, `module` is not loaded. */
  create?: CreateReporter;
  /**
   * Runs in the main thread as the process exits, synchronously: for what a reporter of place `hub`
   * leaves behind (the watchdog worker gets no exit event when the process ends). Must not throw.
   */
  atProcessExit?: (config: Config) => void;
  /**
   * A reporter of place `hub` whose findings leave the process asynchronously (an OTLP exporter): how
   * long the main thread's exit waits, at most, for its `exportAtExit` (0: not at all).
   */
  exitExportMs?: (config: Config) => number;
}

/** What every reporter module exports. */
export type CreateReporter = (context: ReporterContext) => Reporter | Promise<Reporter>;

/** Calls every reporter; one that throws is disabled with one warning and never takes the others down. */
export function fanOut(reporters: Reporter[], warn: (line: string) => void = () => {}, names: string[] = []): Required<Reporter> {
  const live = reporters.map((r, i) => ({ r, name: names[i] ?? `reporter ${i + 1}`, on: true }));
  const each = (call: (r: Reporter) => void) => {
    for (const entry of live) {
      if (!entry.on) continue;
      try {
        call(entry.r);
      } catch (err) {
        entry.on = false;
        warn(`the ${entry.name} reporter failed (${(err as Error)?.message ?? String(err)}) and is turned off; the others go on`);
      }
    }
  };
  return {
    report: (f) => each((r) => r.report(f)),
    health: (threads) => each((r) => r.health?.(threads)),
    flush: () => each((r) => r.flush?.()),
    exportAtExit: () => {
      const sending: Promise<unknown>[] = [];
      each((r) => {
        const p = r.exportAtExit?.();
        if (p) sending.push(p.catch(() => {}));
      });
      return Promise.all(sending).then(() => {});
    },
    close: () => each((r) => r.close?.()),
  };
}
