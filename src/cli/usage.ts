// Argument parsing for every command: node:util parseArgs, with one-line errors (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A user's mistake on the command line: one line on stderr, exit 2. */
export class UsageError extends Error {}

export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** parseArgs with the error text cut to one line and the command's name in front. */
export function parse(command: string, args: string[], options: Options, allowPositionals = true): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    const text = (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${command}: ${text}; see 'asyncdebug ${command} --help'`);
  }
}

/**
 * `[options] [--] command...`: own options end at `--` or at the first word that is not an option
 * (so `asyncdebug run node -e ...` leaves `-e` to node).
 */
export function parseWithCommand(command: string, args: string[], options: Options): { values: Parsed['values']; command: string[] } {
  let end = args.length;
  let rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      end = i;
      rest = args.slice(i + 1);
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      end = i;
      rest = args.slice(i);
      break;
    }
    const long = a.startsWith('--') ? a.slice(2).split('=')[0]! : undefined;
    const spec = long !== undefined ? options[long] : Object.values(options).find((o) => o.short === a.slice(1, 2));
    if (spec?.type === 'string' && !a.includes('=') && !(long === undefined && a.length > 2)) i++;
  }
  const { values } = parse(command, args.slice(0, end), options, false);
  return { values, command: rest };
}

export function wholeNumber(command: string, flag: string, raw: string | boolean | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${command}: --${flag} expects a number >= 0, got ${JSON.stringify(raw)}`);
  }
  return n;
}
