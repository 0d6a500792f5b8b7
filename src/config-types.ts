// The configuration's types, apart from the code: env-table.ts (the variables) and config.ts (which
// reads them) both need them, and so neither imports the other's.

export type Mode = 'off' | 'default' | 'debug';
export type ReporterName = 'console' | 'json' | 'otel' | 'tui';
export type StackEngine = 'auto' | 'native' | 'inspector';

export interface Config {
  mode: Mode;
  slowMs: number;
  reporters: ReporterName[];
  reportDir: string | null;
  /** The report files' mode (0o600 unless widened); the report directory, when the agent makes it, gets
   *  the same with x where r is. */
  reportMode: number;
  /** Bytes of JSON Lines one process writes at most (its summaries and the `dropped` record besides). */
  reportMaxBytes: number;
  strict: boolean;
  /** Name the HTTP request behind a block (method and route); off for apps that hold routes sensitive. */
  request: boolean;
  /** Internal knob for troubleshooting and tests: which stack engine the watchdog uses. */
  engine: StackEngine;
  /** When sync-I/O findings start: at the app's first loop turn, or when a server first listens. */
  syncAfter: SyncAfter;
  /** Sync calls faster than this are counted but not reported. */
  syncMinMs: number;
  /** APIs (`fs.readFileSync`, `fs.*`) and file globs (`scripts/**`) whose sync calls are allowed. */
  allowSync: string[];
  /** Where a `.cpuprofile` of each long block goes (null: none). */
  cpuProfileDir: string | null;
  /** A postMessage whose clone took this long on the sender is a large-message finding. */
  messageMs: number;
  /** A postMessage whose payload is estimated at this many bytes or more is a large-message finding. */
  messageBytes: number;
  /** Pool work that waited this long behind a full libuv pool is a threadpool-saturation finding. */
  poolWaitMs: number;
  /** Threads watched at once (the registry's slots); more run unwatched. */
  maxThreads: number;
  /** The otel reporter's own exporter (in the watchdog); null: the app's own OpenTelemetry SDK. */
  otel: OtelExport | null;
  /** Where ASYNC_DEBUG_OTEL=prometheus serves /metrics. */
  prometheusHost: string;
  prometheusPort: number;
}

export type OtelExport = 'prometheus' | 'otlp';

export type SyncAfter = 'turn' | 'listening';

export type Warn = (line: string) => void;
