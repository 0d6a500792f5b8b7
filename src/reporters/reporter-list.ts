// The reporters, by the name ASYNC_DEBUG_REPORTERS uses: where each runs and how it is made.
// A new reporter is one file in src/reporters/ (exporting createReporter) and one line here.
import type { ReporterName } from '../config.js';
import type { ReporterEntry } from './reporter.js';
import { createJsonlReporter } from './jsonl.js';
import { removeOwnSocket } from '../tui/socket-dir.js';

/** How long a process's exit waits, at most, for the standalone OTLP exporter's last send (docs/otel.md). */
export const OTEL_EXIT_EXPORT_MS = 2000;

export const REPORTERS: Partial<Record<ReporterName, ReporterEntry>> = {
  // Written by the thread that made the finding, the moment it is made (the watchdog writes blocks).
  json: { place: () => 'thread', module: 'jsonl.js', create: ({ config }) => createJsonlReporter(config) },
  // Every finding of the process in one place, off the app's loop (chalk and the code frames load there).
  console: { place: () => 'hub', module: 'console.js' },
  // Serves `asyncdebug tui` over a private Unix socket, from the hub (off the app's loop).
  tui: { place: () => 'hub', module: 'tui-server.js', atProcessExit: () => removeOwnSocket() },
  // Through the app's own OpenTelemetry SDK in its main thread, or (ASYNC_DEBUG_OTEL) its own exporter off the app's loop.
  // At exit, OTLP's last batch (the exit's findings and counts) is sent while the main thread waits, at most OTEL_EXIT_EXPORT_MS.
  otel: { place: (c) => (c.otel ? 'hub' : 'main'), module: 'otel.js', exitExportMs: (c) => (c.otel === 'otlp' ? OTEL_EXIT_EXPORT_MS : 0) },
};
