// The project root that `ci` names files relative to (sites, baselines, SARIF, annotations, JUnit): the
// repository's root, so that a command run in a subfolder (`working-directory: packages/api`) names
// `packages/api/server.js`, as code scanning and annotations need. GITHUB_WORKSPACE on GitHub Actions,
// else git's top level, else the working directory; `--root` chooses.
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';

export interface Root {
  dir: string;
  /** Where it came from, for the line that says so. */
  from: 'GITHUB_WORKSPACE' | 'git' | 'cwd';
}

function real(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

function contains(dir: string, inner: string): boolean {
  const rel = relative(dir, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function gitTopLevel(cwd: string): string | null {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  return dir && isAbsolute(dir) ? dir : null;
}

/** The default root for a command run in `cwd` (file paths are compared as real paths, as Node reports them). */
export function defaultRoot(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): Root {
  const here = real(cwd);
  const workspace = env.GITHUB_WORKSPACE;
  if (workspace && isAbsolute(workspace) && contains(real(workspace), here)) return { dir: real(workspace), from: 'GITHUB_WORKSPACE' };
  const top = gitTopLevel(here);
  if (top && contains(real(top), here)) return { dir: real(top), from: 'git' };
  return { dir: here, from: 'cwd' };
}
