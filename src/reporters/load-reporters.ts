// Makes the reporters of one place from the table. Modules load only when asked for; findings that
// arrive while one loads wait for it, in order; a reporter that fails to load or throws is turned off
// with one warning and never takes the others down.
import type { Config, ReporterName } from '../config.js';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { fanOut, type CreateReporter, type Reporter, type ReporterContext, type ReporterPlace } from './reporter.js';
import { REPORTERS } from './reporter-list.js';

// Set by code-cache.ts when this code runs from the agent's bundle loaded through V8's code cache: its
// own import(), since an import() from a vm.Script needs an experimental loader (with a warning on stderr).
declare const __asyncdebug_import: ((url: string) => Promise<unknown>) | undefined;
const importUrl = (url: string): Promise<unknown> => (typeof __asyncdebug_import === 'function' ? __asyncdebug_import(url) : import(url));

/**
 * Reporters compiled into the bundle that runs them (the watchdog's holds the console reporter): made at
 * once, with no module to load. Loading console.js as an ES module set up Node's ESM loader in the
 * watchdog, ~16 ms of CPU in every process (Node 26), findings or not.
 */
const bundled: Partial<Record<ReporterName, CreateReporter>> = {};

/** Called by a bundle's entry, before any reporter of that place is made. */
export function bundleReporter(name: ReporterName, create: CreateReporter): void {
  bundled[name] = create;
}

export interface LoadedReporters extends Required<Reporter> {
  /** Names of the reporters of this place (loaded or loading). */
  readonly names: readonly string[];
  /** Resolves once every module of this place has loaded (or failed to). */
  readonly ready: Promise<void>;
}

/** How long the main thread's exit waits for the hub's reporters to send what they hold (0: no wait). */
export function exitExportMs(config: Config): number {
  let ms = 0;
  for (const name of config.reporters) {
    const entry = REPORTERS[name as ReporterName];
    if (entry?.place(config) === 'hub') ms = Math.max(ms, entry.exitExportMs?.(config) ?? 0);
  }
  return ms;
}

export function reportersAt(place: ReporterPlace, config: Config, context: Omit<ReporterContext, 'config'>): LoadedReporters {
  const names = config.reporters.filter((n) => REPORTERS[n]?.place(config) === place);
  const made: (Reporter | null)[] = [];
  const pending: Promise<void>[] = [];
  const ctx: ReporterContext = { ...context, config };
  names.forEach((name, i) => {
    const entry = REPORTERS[name as ReporterName];
    if (!entry) return;
    const failed = (err: unknown) => {
      made[i] = null;
      context.warn(`the ${name} reporter could not start (${(err as Error)?.message ?? String(err)}); the others go on`);
    };
    try {
      const make = entry.create ?? bundled[name as ReporterName];
      const created = make ? make(ctx) : null;
      if (created && !(created instanceof Promise)) {
        made[i] = created;
        return;
      }
      const later = created ?? importUrl(new URL(`../reporters/${entry.module}`, import.meta.url).href).then((m) => (m as { createReporter: CreateReporter }).createReporter(ctx));
      pending.push(Promise.resolve(later).then((r) => void (made[i] = r), failed));
    } catch (err) {
      failed(err);
    }
  });

  const loaded = () => fanOut(made.filter((r): r is Reporter => !!r), context.warn, names.filter((_, i) => made[i]));
  // Synchronous when no module had to load (json alone): the first finding is written at once.
  let all: Required<Reporter> | null = pending.length === 0 ? loaded() : null;
  const queue: Finding[] = [];
  let lastHealth: readonly ThreadHealth[] | null = null;
  const ready = Promise.all(pending).then(() => {
    if (all) return;
    all = loaded();
    for (const f of queue.splice(0)) all.report(f);
    if (lastHealth) all.health(lastHealth);
  });
  return {
    names,
    ready,
    report(f) {
      if (all) all.report(f);
      else queue.push(f);
    },
    health(threads) {
      if (all) all.health(threads);
      else lastHealth = threads;
    },
    flush() {
      all?.flush();
    },
    exportAtExit() {
      return all ? all.exportAtExit() : Promise.resolve();
    },
    close() {
      all?.close();
    },
  };
}
