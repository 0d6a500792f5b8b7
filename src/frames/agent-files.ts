// Which files are the agent's own: its dist/ (what runs) and its src/ (where its source maps point, and
// what the unit tests run). One answer for the app-frame filter (frames.ts), the stack filter
// (hide.ts) and the wrappers that step over each other's frames (detectors/threadpool/pool-detector.ts).
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Two folders below the package root wherever this code runs: src/frames/, dist/frames/, and the
// bundles that inline it (dist/agent/thread-agent.cjs, dist/watchdog/worker.cjs).
const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const DIRS = ['dist', 'src'];
/** As paths, and as file: URLs (a raw frame of an ES module names its file by URL). */
const PREFIXES = [...DIRS.map((d) => join(ROOT, d) + sep), ...DIRS.map((d) => `${pathToFileURL(join(ROOT, d)).href}/`)];

/** The package root as a path and as a URL, each followed by its separator: every prefix starts with one. */
const ROOT_PATH = ROOT + sep;
const ROOT_URL = `${pathToFileURL(ROOT).href}/`;
const AFTER_ROOT = ROOT_PATH.length;
const D = 'd'.charCodeAt(0);
const S = 's'.charCodeAt(0);
const F = 'f'.charCodeAt(0);

/**
 * Whether `file` (a path or a file: URL) is one of the agent's own files. It runs on every sync call the
 * app makes (on the path it names) and for every frame of a stack read, so most files are told apart by
 * a character or two: what follows the package root (`dist/`, `src/`), or the `f` of a file: URL.
 */
export function isAgentFile(file: string): boolean {
  if (!mayBeAgentFile(file)) return false;
  if (file.startsWith(ROOT_PATH)) return file.startsWith(PREFIXES[0]!) || file.startsWith(PREFIXES[1]!);
  if (file.startsWith(ROOT_URL)) return file.startsWith(PREFIXES[2]!) || file.startsWith(PREFIXES[3]!);
  return false;
}

/** False for most files that are not the agent's, by one or two characters (isAgentFile says for sure). */
export function mayBeAgentFile(file: string): boolean {
  const c = file.charCodeAt(AFTER_ROOT);
  return c === D || c === S || file.charCodeAt(0) === F;
}

/** Whether a text (a formatted stack, one of its lines) names one of the agent's own files. */
export function mentionsAgentFile(text: string): boolean {
  for (const p of PREFIXES) if (text.includes(p)) return true;
  return false;
}
