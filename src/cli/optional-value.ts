// An option whose value may be left out (`--html [FILE]`, `--attach [pid]`): node:util's parseArgs has no
// such option, so it is taken out of the arguments first. `--name=V` takes any V; `--name V` takes the
// next word only when `isValue` says it is one, so `--html reports/` still leaves the directory. Words
// after `--` are the command's and stay as they are.
export interface OptionalValue {
  /** The option was given (the last one counts). */
  given: boolean;
  /** Its value, or undefined when it had none. */
  value: string | undefined;
  /** The arguments without it. */
  rest: string[];
}

export function takeOptionalValue(args: string[], name: string, isValue: (word: string) => boolean): OptionalValue {
  const rest: string[] = [];
  const flag = `--${name}`;
  let given = false;
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (a.startsWith(`${flag}=`)) {
      given = true;
      value = a.slice(flag.length + 1);
    } else if (a === flag) {
      given = true;
      const next = args[i + 1];
      value = next !== undefined && isValue(next) ? args[++i] : undefined;
    } else {
      rest.push(a);
    }
  }
  return { given, value, rest };
}
