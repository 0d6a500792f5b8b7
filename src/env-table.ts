// The environment variables, in one table: the config parser (config.ts), `asyncdebug --help` and the
// README's table (`npm run docs`) all read it, so they cannot disagree. To add a variable: add its field
// to Config (config-types.ts) and one row here. Text in `accepted`, `fallback` and `help` is Markdown
// (backticks only); the terminal and the warnings show it without the backticks.
import type { Config, OtelExport, ReporterName, StackEngine, SyncAfter, Warn } from './config-types.js';

export const DEFAULT_SLOW_MS = 100;

/** The reporters this version ships; the contract also names these others. */
export const SHIPPED_REPORTERS: readonly ReporterName[] = ['console', 'json', 'otel', 'tui'];

/** What a parser returns for a value it cannot accept: the row's standard warning follows. */
export const BAD = Symbol('bad value');
type Parsed<T> = T | typeof BAD;

export interface EnvRow<K extends keyof Config = keyof Config> {
  name: string;
  /** The Config field it sets. */
  key: K;
  /** The value when the variable is unset, empty, or bad. */
  default: Config[K];
  /** The default as people read it. */
  fallback: string;
  /** What the variable accepts; the warning for a bad value says "expected <accepted>". */
  accepted: string;
  help: string;
  /** Turns a non-empty raw value into the field's value. It may warn itself about a part it drops. */
  parse(raw: string, warn: Warn): Parsed<Config[K]>;
}

/** A variable that other code reads directly (no Config field): documented here, parsed there. */
export interface DocRow {
  name: string;
  key: null;
  fallback: string;
  accepted: string;
  help: string;
}

/** A row for any one field (a union, so that each row's parser and default agree with its field). */
export type AnyEnvRow = { [K in keyof Config]: EnvRow<K> }[keyof Config];

function row<K extends keyof Config>(r: EnvRow<K>): EnvRow<K> {
  return r;
}

function parseSwitch(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'off') return false;
  return undefined;
}

function oneOf<T extends string>(values: readonly T[]): (raw: string) => Parsed<T> {
  return (raw) => {
    const v = raw.trim().toLowerCase();
    return (values as readonly string[]).includes(v) ? (v as T) : BAD;
  };
}

/** A number from `min` to `max` (a whole one when `whole`): a value past a sane range (`1e20` ms) would
 *  turn a detector off without a word, or overflow a timer. */
function numberFrom(min: number, max: number, whole = false): (raw: string) => Parsed<number> {
  return (raw) => {
    const n = Number(raw.trim());
    return (whole ? Number.isInteger(n) : Number.isFinite(n)) && n >= min && n <= max ? n : BAD;
  };
}

/** Ten minutes: the largest threshold in ms any variable takes. */
const MAX_MS = 600_000;

/** A file mode in octal (`600`, `0640`): read and write bits only, and the owner can read and write. */
function fileMode(raw: string): Parsed<number> {
  const v = raw.trim();
  if (!/^0?[0-7]{3}$/.test(v)) return BAD;
  const mode = parseInt(v, 8);
  return (mode & 0o111) === 0 && (mode & 0o600) === 0o600 ? mode : BAD;
}

/** An address only this machine reaches. */
export function isLoopback(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i.test(host.trim());
}

function commaList(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

export const ENV_TABLE: ReadonlyArray<AnyEnvRow | DocRow> = [
  row({
    name: 'ASYNC_DEBUG',
    key: 'mode',
    default: 'default',
    fallback: 'default mode',
    accepted: '`1`/`true`/`on` (debug mode) or `0`/`false`/`off` (off)',
    help: 'which detectors run: unset, the cheap ones (default mode, safe to leave on); on, also the expensive ones (debug mode); off, none (the agent installs nothing)',
    parse(raw) {
      const on = parseSwitch(raw);
      return on === undefined ? BAD : on ? 'debug' : 'off';
    },
  }),
  row({
    name: 'ASYNC_DEBUG_SLOW_MS',
    key: 'slowMs',
    default: DEFAULT_SLOW_MS,
    fallback: String(DEFAULT_SLOW_MS),
    accepted: 'a whole number of milliseconds from 1 to 600000',
    help: 'block threshold: a loop that does not turn for this long is a block',
    parse: numberFrom(1, MAX_MS, true),
  }),
  row({
    name: 'ASYNC_DEBUG_REPORTERS',
    key: 'reporters',
    default: ['console'],
    fallback: '`console`',
    accepted: 'a comma list of `console`, `json`, `otel`, `tui`',
    help: 'where findings go (`otel`: OpenTelemetry, see ASYNC_DEBUG_OTEL; `tui`: served to `asyncdebug tui` over a private Unix socket); a name it does not know is dropped with a warning, and if none is left, `console` is used',
    parse(raw, warn) {
      const names = new Set<ReporterName>();
      const dropped: string[] = [];
      for (const part of commaList(raw)) {
        const name = part.toLowerCase() as ReporterName;
        if (!(SHIPPED_REPORTERS as readonly string[]).includes(name)) {
          dropped.push(`ignoring ${JSON.stringify(part)} in ASYNC_DEBUG_REPORTERS: expected a comma list of ${SHIPPED_REPORTERS.join(', ')}`);
        } else {
          names.add(name);
        }
      }
      // Nothing usable named: findings must still go somewhere (a block that went nowhere was a bug).
      if (names.size === 0) {
        names.add('console');
        if (dropped.length) dropped[dropped.length - 1] += '; using console';
      }
      for (const line of dropped) warn(line);
      return [...names];
    },
  }),
  row({
    name: 'ASYNC_DEBUG_REPORT_DIR',
    key: 'reportDir',
    default: null,
    fallback: '– (no report file)',
    accepted: 'a directory (created with mode 700 if missing)',
    help: 'JSON Lines reports go to `<dir>/asyncdebug-<pid>.jsonl`, a new file of mode 600 (if that name is taken, `asyncdebug-<pid>-<random>.jsonl`, said in a warning); turns on `json`; checked at start (a warning if it cannot be written)',
    parse: (raw) => raw.trim(),
  }),
  row({
    name: 'ASYNC_DEBUG_REPORT_MODE',
    key: 'reportMode',
    default: 0o600,
    fallback: '`600`',
    accepted: 'an octal file mode with read/write bits only, the owner\'s included (`600`, `640`, `644`)',
    help: 'the mode of report files (and of the report directory when the agent creates it, with x where r is: `640` gives `750`); the umask still applies. Reports may hold request URLs and error messages: widen only on purpose',
    parse: fileMode,
  }),
  row({
    name: 'ASYNC_DEBUG_REPORT_MAX_MB',
    key: 'reportMaxBytes',
    default: 16 * 1024 * 1024,
    fallback: '16',
    accepted: 'a whole number of MiB from 1 to 4096',
    help: 'the most JSON Lines one process writes; past it, one `dropped` record says what was left out (summaries are still written, and their counts stay exact)',
    parse: (raw) => {
      const mb = numberFrom(1, 4096, true)(raw);
      return mb === BAD ? BAD : mb * 1024 * 1024;
    },
  }),
  row({
    name: 'ASYNC_DEBUG_STRICT',
    key: 'strict',
    default: false,
    fallback: 'off',
    accepted: '`1`/`true`/`on` or `0`/`false`/`off`',
    help: 'on: a sync API called after start-up throws `SyncIOError` instead of running',
    parse: (raw) => parseSwitch(raw) ?? BAD,
  }),
  row({
    name: 'ASYNC_DEBUG_SYNC_AFTER',
    key: 'syncAfter',
    default: 'turn',
    fallback: '`turn`',
    accepted: '`turn` (the app\'s first loop turn) or `listening` (the first server listening)',
    help: 'when sync-I/O findings start',
    parse: oneOf<SyncAfter>(['turn', 'listening']),
  }),
  row({
    name: 'ASYNC_DEBUG_SYNC_MIN_MS',
    key: 'syncMinMs',
    default: 0,
    fallback: '0 (every site is reported)',
    accepted: 'a number of milliseconds from 0 to 600000',
    help: 'sync-I/O sites with no call this slow are counted (in the summary), not reported',
    parse: numberFrom(0, MAX_MS),
  }),
  row({
    name: 'ASYNC_DEBUG_ALLOW_SYNC',
    key: 'allowSync',
    default: [],
    fallback: '–',
    accepted: 'a comma list of APIs (`fs.readFileSync`, `fs.*`) and file globs (`scripts/**`)',
    help: 'sync calls of these APIs, or made from these files, are allowed: not reported, never strict',
    parse: commaList,
  }),
  row({
    name: 'ASYNC_DEBUG_CPUPROFILE_DIR',
    key: 'cpuProfileDir',
    default: null,
    fallback: '– (no profiles)',
    accepted: 'a directory (created with mode 700 if missing)',
    help: 'a block of three thresholds or more also writes `<dir>/asyncdebug-<pid>-<id>.cpuprofile` (Chrome DevTools, VS Code, speedscope; a new file of mode 600, at most 100 per process), built from the watchdog\'s stack reads; the final line names it',
    parse: (raw) => raw.trim(),
  }),
  row({
    name: 'ASYNC_DEBUG_MESSAGE_MS',
    key: 'messageMs',
    default: 20,
    fallback: '20',
    accepted: 'a number of milliseconds from 1 to 600000',
    help: 'a `postMessage` whose structured clone took this long on the sender (and is 64 kB or more) is a `large-message` finding',
    parse: numberFrom(1, MAX_MS),
  }),
  row({
    name: 'ASYNC_DEBUG_MESSAGE_BYTES',
    key: 'messageBytes',
    default: 16 * 1024 * 1024,
    fallback: '16777216 (16 MiB)',
    accepted: 'a whole number of bytes from 1 to 4294967296 (4 GiB)',
    help: 'a `postMessage` whose payload is estimated at this size or more is a `large-message` finding',
    parse: numberFrom(1, 2 ** 32, true),
  }),
  row({
    name: 'ASYNC_DEBUG_POOL_WAIT_MS',
    key: 'poolWaitMs',
    default: 50,
    fallback: '50',
    accepted: 'a number of milliseconds from 1 to 600000',
    help: 'libuv pool work that waited this long behind a full pool (`UV_THREADPOOL_SIZE`, read from the starting environment) is a `threadpool-saturation` finding',
    parse: numberFrom(1, MAX_MS),
  }),
  row({
    name: 'ASYNC_DEBUG_MAX_THREADS',
    key: 'maxThreads',
    default: 1024,
    fallback: '1024',
    accepted: 'a whole number from 1 to 1024',
    help: 'threads (the main thread and workers) watched at once; a thread started past it runs unwatched, one line on stderr says so, and `health()` lists it with `watched: false` (the shared memory grows with the threads watched, about 66 kB each)',
    parse: (raw) => {
      const n = Number(raw);
      return Number.isInteger(n) && n >= 1 && n <= 1024 ? n : BAD;
    },
  }),
  row({
    name: 'ASYNC_DEBUG_OTEL',
    key: 'otel',
    default: null,
    fallback: '– (the app\'s own OpenTelemetry SDK)',
    accepted: '`prometheus` or `otlp`',
    help: 'the `otel` reporter (turned on by this) exports by itself from the watchdog: `prometheus` serves `/metrics` (ASYNC_DEBUG_PROMETHEUS_HOST/PORT), `otlp` sends OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (standard `OTEL_*` variables); unset, `otel` goes through the SDK the app registered',
    parse: oneOf<OtelExport>(['prometheus', 'otlp']),
  }),
  row({
    name: 'ASYNC_DEBUG_PROMETHEUS_PORT',
    key: 'prometheusPort',
    default: 9464,
    fallback: '9464',
    accepted: 'a port number (0: any free port, which nothing can then find: for benchmarks)',
    help: 'the port of `/metrics` for ASYNC_DEBUG_OTEL=prometheus (each process needs its own)',
    parse: (raw) => {
      const n = Number(raw);
      return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : BAD;
    },
  }),
  row({
    name: 'ASYNC_DEBUG_PROMETHEUS_HOST',
    key: 'prometheusHost',
    default: '127.0.0.1',
    fallback: '`127.0.0.1`',
    accepted: 'an address to bind',
    help: 'the address `/metrics` listens on; one that is not loopback serves the metrics beyond this machine (said with a warning)',
    parse(raw, warn) {
      const host = raw.trim();
      if (!isLoopback(host)) {
        warn(`ASYNC_DEBUG_PROMETHEUS_HOST=${JSON.stringify(host)} is not a loopback address: /metrics will be reachable from other machines`);
      }
      return host;
    },
  }),
  row({
    name: 'ASYNC_DEBUG_REQUEST',
    key: 'request',
    default: true,
    fallback: 'on',
    accepted: '`1`/`true`/`on` or `0`/`false`/`off`',
    help: 'name the HTTP request behind a block: method and route (the route pattern where express or fastify matched one, else the path; never the query string); in default mode on Node 24 and later, in debug mode on every line. `0` for apps whose routes are sensitive',
    parse: (raw) => parseSwitch(raw) ?? BAD,
  }),
  row({
    name: 'ASYNC_DEBUG_STACK_ENGINE',
    key: 'engine',
    default: 'auto',
    fallback: '`auto`',
    accepted: '`auto`, `native` or `inspector`',
    help: 'which stack reader the watchdog uses (for troubleshooting)',
    parse: oneOf<StackEngine>(['auto', 'native', 'inspector']),
  }),
  {
    name: 'ASYNC_DEBUG_TUI_DIR',
    key: null,
    fallback: '`<tmpdir>/asyncdebug-<uid>`',
    accepted: 'a directory of this user\'s, not open to others (created with mode 700 if missing)',
    help: 'where the `tui` reporter puts its socket (`<pid>.sock`, mode 600) and where `asyncdebug tui --attach` looks for them',
  },
  {
    name: 'ASYNC_DEBUG_CODE_CACHE',
    key: null,
    fallback: 'on',
    accepted: '`0` (or `false`, `off`) to turn it off',
    help: 'V8\'s code cache of the agent\'s own two bundles (not the app\'s modules), in this user\'s cache directory (`$XDG_CACHE_HOME/asyncdebug` or `~/.cache/asyncdebug`, mode 700, checked before use), so that a process does not compile the agent again: written when a thread exits with none usable for its Node version and flags; at most 24 files (~170 KB each) are kept, none older than 30 days, and a temp file a killed writer left goes after an hour',
  },
  {
    name: 'NO_COLOR / FORCE_COLOR',
    key: null,
    fallback: 'colors when stderr is a TTY',
    accepted: 'the usual conventions (no-color.org, `FORCE_COLOR=0..3`)',
    help: 'console colors',
  },
];

export function isParsed(r: AnyEnvRow | DocRow): r is AnyEnvRow {
  return r.key !== null;
}

const plain = (markdown: string) => markdown.replace(/`/g, '');

/** The standard warning for a bad value. */
export function badValueWarning(r: AnyEnvRow, raw: string): string {
  return `ignoring ${r.name}=${JSON.stringify(raw)}: expected ${plain(r.accepted)}; using ${plain(r.fallback)}`;
}

/** The environment section of `asyncdebug --help`, for an 80-column terminal. */
export function renderEnvHelp(): string {
  const width = Math.max(...ENV_TABLE.map((r) => r.name.length)) + 2;
  const indent = ' '.repeat(2 + width);
  const lines: string[] = [];
  for (const r of ENV_TABLE) {
    const text = `${plain(r.help)}. Accepts ${plain(r.accepted)}. Default: ${plain(r.fallback)}.`;
    wrap(text, 78 - indent.length).forEach((l, i) => lines.push(i === 0 ? `  ${r.name.padEnd(width)}${l}` : `${indent}${l}`));
  }
  return lines.join('\n') + '\n';
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/** The README's environment table (between its env-table markers; `npm run docs` rewrites it). */
export function renderEnvMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| variable | meaning | accepts | default |', '|---|---|---|---|'];
  for (const r of ENV_TABLE) {
    const name = r.name.split(' / ').map((n) => `\`${n}\``).join(' / ');
    lines.push(`| ${name} | ${cell(r.help)} | ${cell(r.accepted)} | ${cell(r.fallback)} |`);
  }
  return lines.join('\n') + '\n';
}

export const README_START = '<!-- env-table:start (generated from src/env-table.ts by `npm run docs`; do not edit) -->';
export const README_END = '<!-- env-table:end -->';
