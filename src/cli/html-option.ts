// `--html [FILE]` for `asyncdebug report`: an option whose value may be left out. node:util's parseArgs
// has no such option, so it is taken out of the arguments first. The next word is its value only when it
// names an HTML file (`out.html`, `report.htm`), so `--html reports/` still reads the directory;
// `--html=FILE` takes any name.
/** Where `--html` alone writes, in the current directory. */
export const DEFAULT_HTML = 'asyncdebug-report.html';

export function takeHtmlOption(args: string[]): { html: string | null; rest: string[] } {
  const rest: string[] = [];
  let html: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (a.startsWith('--html=')) {
      html = a.slice('--html='.length) || DEFAULT_HTML;
    } else if (a === '--html') {
      const next = args[i + 1];
      if (next !== undefined && /\.html?$/i.test(next)) {
        html = next;
        i++;
      } else {
        html = DEFAULT_HTML;
      }
    } else {
      rest.push(a);
    }
  }
  return { html, rest };
}
