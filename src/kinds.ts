// The finding kinds, one row each: what every consumer needs to know about a kind (the console's exit
// summary, the CI commands' rules and gate, the TUI, the OpenTelemetry reporter) is in its row. A new kind
// in FindingKind (finding.ts) is a compile error here until it has a row, and a new value of a field's
// union (e.g. `otel`) is one in the code that switches on it. Pure and dependency-free: it loads in the
// app's threads (the exit summary line).
import type { FindingKind } from './finding.js';

/** What the otel reporter records for a kind besides its log record (docs/otel.md):
 *  `block`: a span and the block counter and duration histogram; `sync-io`: the sync call counter, one log
 *  record per site; `unawaited`: the unawaited counter; `pool-wait`: the pool wait histogram; `log`: nothing more. */
export type OtelSignal = 'block' | 'sync-io' | 'unawaited' | 'pool-wait' | 'log';

export interface KindRow {
  /** One line for SARIF rules, JUnit and GitHub annotations. */
  title: string;
  /** How the exit summary line counts it: one, many ("1 block", "2 blocks"). */
  words: readonly [one: string, many: string];
  /** Its colour in the TUI (an Ink colour name). */
  color: string;
  /** Its name in the TUI's findings list (at most 13 columns). */
  short: string;
  /** It has a duration, so that `ci --min-ms` applies to it. */
  timed: boolean;
  /** The console names its site once and counts the later calls there, shown at exit (one finding per site,
   *  updated in place), rather than a line per finding. */
  bySite: boolean;
  /** The severity of its OpenTelemetry log record. */
  severity: 'INFO' | 'WARN' | 'ERROR';
  otel: OtelSignal;
}

/** In the order the commands list kinds (`--budget`, `--kind` errors) and the TUI's `f` key steps through them. */
export const KINDS: { readonly [K in FindingKind]: Readonly<KindRow> } = {
  block: {
    title: 'Event loop blocked',
    words: ['block', 'blocks'],
    color: 'red',
    short: 'block',
    timed: true,
    bySite: false,
    severity: 'WARN',
    otel: 'block',
  },
  'sync-io': {
    title: 'Synchronous I/O on the event loop',
    words: ['sync I/O call', 'sync I/O calls'],
    color: 'yellow',
    short: 'sync-io',
    timed: true,
    bySite: true,
    severity: 'WARN',
    otel: 'sync-io',
  },
  unawaited: {
    title: 'Promise never awaited',
    words: ['unawaited', 'unawaited findings'],
    color: 'cyan',
    short: 'unawaited',
    timed: false,
    bySite: false,
    severity: 'WARN',
    otel: 'unawaited',
  },
  'unhandled-rejection': {
    title: 'Unhandled promise rejection',
    words: ['unhandled-rejection', 'unhandled-rejection findings'],
    color: 'magenta',
    short: 'unhandled',
    timed: false,
    bySite: false,
    severity: 'ERROR',
    otel: 'log',
  },
  'never-settled': {
    title: 'Awaited promise never settled',
    words: ['never-settled', 'never-settled findings'],
    color: 'magenta',
    short: 'never-settled',
    timed: false,
    bySite: false,
    severity: 'WARN',
    otel: 'log',
  },
  'atomics-wait': {
    title: 'Atomics.wait on a thread with an event loop',
    words: ['Atomics.wait call', 'Atomics.wait calls'],
    color: 'yellow',
    short: 'atomics-wait',
    timed: true,
    bySite: true,
    severity: 'WARN',
    otel: 'log',
  },
  'threadpool-saturation': {
    title: 'libuv thread pool saturated',
    words: ['thread-pool saturation', 'thread-pool saturations'],
    color: 'blue',
    short: 'threadpool',
    timed: true,
    bySite: false,
    severity: 'WARN',
    otel: 'pool-wait',
  },
  'large-message': {
    title: 'postMessage blocked by a large structured clone',
    words: ['large message', 'large messages'],
    color: 'blue',
    short: 'large-message',
    timed: true,
    bySite: false,
    severity: 'WARN',
    otel: 'log',
  },
  // Not a finding of the app: each thread's line at exit (counts, loop delay). Listed for the TUI's
  // filter and the OTel log; the commands skip it.
  summary: {
    title: 'Thread summary at exit',
    words: ['summary', 'summary findings'],
    color: 'gray',
    short: 'summary',
    timed: false,
    bySite: false,
    severity: 'INFO',
    otel: 'log',
  },
};

export type ReportedKind = Exclude<FindingKind, 'summary'>;

/** Every kind, summary last. */
export const ALL_KINDS = Object.keys(KINDS) as FindingKind[];

/** The kinds of findings about the app (all but the exit summary): what budgets and filters name. */
export const REPORTED_KINDS = ALL_KINDS.filter((k): k is ReportedKind => k !== 'summary');

/** A kind budgets and `--kind` may name: one this version knows, not the summary. */
export function isReportedKind(kind: string): kind is ReportedKind {
  return kind !== 'summary' && kindRow(kind) !== undefined;
}

/** The row of a kind read from outside (a report file, the wire): undefined for a kind this version does not know. */
export function kindRow(kind: string): Readonly<KindRow> | undefined {
  return Object.hasOwn(KINDS, kind) ? KINDS[kind as FindingKind] : undefined;
}

/** Sites the CI commands keep apart from their finding's kind (src/cli/sites.ts): their titles. */
const SITE_KIND_TITLES: Readonly<Record<string, string>> = { 'module-load': 'Event loop blocked by module loading after start-up' };

/** The kind's title, or the kind itself when this version does not know it. */
export function kindTitle(kind: string): string {
  return kindRow(kind)?.title ?? (Object.hasOwn(SITE_KIND_TITLES, kind) ? SITE_KIND_TITLES[kind]! : kind);
}
