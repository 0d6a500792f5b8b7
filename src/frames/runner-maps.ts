// In-memory source maps of test runners that transform and evaluate modules themselves: vitest 3
// (vite-node's module cache) and vitest 4 (vite's module runner). Node has no map for such code (the
// runner evaluates it with vm, it is not loaded by Node), so a frame in it would keep the transformed
// line: vite moves imports and adds lines, and the site is off by as many. Read only in the thread that
// evaluated the code (its runner state is on that thread's globalThis); best effort over the runner's
// internals: a shape not known here gives no map.
import { isAbsolute } from 'node:path';

interface RunnerState {
  /** vitest 3: vite-node's ModuleCacheMap (a Map), by file path. */
  moduleCache?: Map<string, { code?: unknown } | undefined>;
  /** vitest 4: vite's EvaluatedModules. */
  evaluatedModules?: { fileToModulesMap?: Map<string, Set<{ meta?: { code?: unknown } }>> };
}

const MAP_COMMENT = '//# sourceMappingURL=data:application/json';

/** The last inline map of transformed code (both runners append theirs last), parsed. */
function inlineMap(code: unknown): object | null {
  if (typeof code !== 'string') return null;
  const at = code.lastIndexOf(MAP_COMMENT);
  if (at < 0) return null;
  const comma = code.indexOf(',', at);
  const end = code.indexOf('\n', at);
  const meta = code.slice(at + MAP_COMMENT.length, comma);
  if (comma < 0 || !meta.endsWith(';base64') || (end >= 0 && end < comma)) return null;
  const data = code.slice(comma + 1, end < 0 ? code.length : end).trim();
  const payload = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as unknown;
  return payload && typeof payload === 'object' ? payload : null;
}

function codesOf(state: RunnerState, file: string): unknown[] {
  const codes: unknown[] = [];
  for (const mod of state.evaluatedModules?.fileToModulesMap?.get(file) ?? []) codes.push(mod.meta?.code);
  // Map's own get: the cache's makes an empty entry for a path it does not have.
  if (state.moduleCache instanceof Map) codes.push(Map.prototype.get.call(state.moduleCache, file)?.code);
  return codes;
}

/** The map payload a runner of this thread holds for `file` (a path), or null. */
export function runnerMapPayload(file: string): object | null {
  const state = (globalThis as { __vitest_worker__?: RunnerState }).__vitest_worker__;
  if (!state || typeof state !== 'object' || !isAbsolute(file)) return null;
  try {
    for (const code of codesOf(state, file)) {
      const payload = inlineMap(code);
      if (payload) return payload;
    }
  } catch {
    // a runner's shape not known here: no map
  }
  return null;
}

const RUNNER_PATHS = ['/node_modules/vitest/', '/node_modules/@vitest/', '/node_modules/vite-node/', '/node_modules/vite/dist/node/module-runner'];

/** Whether a stack runs under such a runner (its frames are on it): then even `.js` files are transformed. */
export function isUnderRunner(frames: readonly { file: string }[]): boolean {
  for (const { file } of frames) {
    const path = file.includes('\\') ? file.replace(/\\/g, '/') : file;
    for (const p of RUNNER_PATHS) if (path.includes(p)) return true;
  }
  return false;
}
