// Node's options as the agent reads them: whether the process runs with a flag (on its command line or in
// NODE_OPTIONS), and NODE_OPTIONS as the watchdog worker gets it. Node parses NODE_OPTIONS for every worker that is not
// given an env of its own (`execArgv: []` or not): the app's preloads would load in the watchdog too
// (tsx, dotenv, an OpenTelemetry register; under `asyncdebug run` the agent's register), and
// --trace-sync-io would print a warning for each of its reads. Those go; every other option stays (the
// standalone OTLP exporter runs there, and may need e.g. --dns-result-order or --use-env-proxy).

/** Options that load code into every thread they reach, each followed by its module. */
const PRELOADS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader']);
/** Options that make Node write to the app's stderr on the thread's behalf. */
const PRINTS = new Set(['--trace-sync-io']);

/**
 * NODE_OPTIONS splits on spaces and honours double quotes with backslash escapes (as Node reads it).
 * Null when a quote is left open: Node would refuse it, and nothing of it is kept then.
 */
export function splitNodeOptions(value: string): string[] | null {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted && c === '\\' && i + 1 < value.length) {
      current += value[++i];
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && /\s/.test(c)) {
      if (started) out.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quoted) return null;
  if (started) out.push(current);
  return out;
}

/**
 * Whether this process runs with `flag` (a boolean option: `--trace-sync-io`), on its command line or
 * in NODE_OPTIONS, whichever thread asks (a worker's execArgv is its own, its env the process's or one
 * it was given).
 */
export function hasNodeFlag(flag: string, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS): boolean {
  const given = (token: string) => token === flag || token.startsWith(`${flag}=`);
  return execArgv.some(given) || (splitNodeOptions(nodeOptions ?? '') ?? []).some(given);
}

/** A value as NODE_OPTIONS needs it written: quoted when it holds a space, a quote or a backslash. */
export function quoteNodeOption(value: string): string {
  return /[\s"\\]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

/** NODE_OPTIONS without its preloads and --trace-sync-io; undefined when nothing is left. */
export function watchdogNodeOptions(value: string | undefined): string | undefined {
  const tokens = value ? splitNodeOptions(value) : null;
  if (!tokens) return undefined;
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const name = token.startsWith('--') ? token.split('=')[0]! : token;
    if (PRELOADS.has(name)) {
      if (name === token) i++; // `--require x`: its module is the next one
      continue;
    }
    if (PRINTS.has(name)) continue;
    kept.push(quoteNodeOption(token));
  }
  return kept.length ? kept.join(' ') : undefined;
}
