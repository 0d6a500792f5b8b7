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

/** Whether `file` (a path or a file: URL) is one of the agent's own files. */
export function isAgentFile(file: string): boolean {
  for (const p of PREFIXES) if (file.startsWith(p)) return true;
  return false;
}

/** Whether a text (a formatted stack, one of its lines) names one of the agent's own files. */
export function mentionsAgentFile(text: string): boolean {
  for (const p of PREFIXES) if (text.includes(p)) return true;
  return false;
}
