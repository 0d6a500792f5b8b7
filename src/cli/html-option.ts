// `--html [FILE]` for `asyncdebug report`: an option whose value may be left out. node:util's parseArgs
// has no such option, so it is taken out of the arguments first. The next word is its value only when it
// names an HTML file (`out.html`, `report.htm`), so `--html reports/` still reads the directory;
// `--html=FILE` takes any name.
import { takeOptionalValue } from './optional-value.js';

/** Where `--html` alone writes, in the current directory. */
export const DEFAULT_HTML = 'asyncdebug-report.html';

export function takeHtmlOption(args: string[]): { html: string | null; rest: string[] } {
  const { given, value, rest } = takeOptionalValue(args, 'html', (word) => /\.html?$/i.test(word));
  return { html: given ? value || DEFAULT_HTML : null, rest };
}
