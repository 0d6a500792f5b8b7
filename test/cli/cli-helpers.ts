// Runs the built `asyncdebug` command in a real process (build first: npm run build).
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, FIXTURES, tempDir } from '../helpers.js';

export const BIN = join(ROOT, 'bin', 'asyncdebug.js');
export const CLI_FIXTURES = join(FIXTURES, 'cli');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Called with the child once its stdout contains this text. */
  onStdout?: { text: string; then: (pid: number) => void };
}

/** The environment of a clean CI machine: no agent settings, no GitHub, no colors. */
function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...extra };
  for (const k of Object.keys(env)) {
    if (/^(ASYNC_DEBUG|GITHUB_)/.test(k) && !(k in extra)) delete env[k];
    if (k === 'NODE_OPTIONS' && !(k in extra)) delete env[k];
    if (k === 'FORCE_COLOR' && !(k in extra)) delete env[k];
    if (env[k] === undefined) delete env[k];
  }
  return env as NodeJS.ProcessEnv;
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let fired = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (options.onStdout && !fired && stdout.includes(options.onStdout.text)) {
      fired = true;
      options.onStdout.then(child.pid!);
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const limit = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((done) => {
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** A private copy of a fixture project (tests edit it). */
export function copyProject(name: string): string {
  const dir = tempDir('asyncdebug-cli-');
  cpSync(join(CLI_FIXTURES, name), dir, { recursive: true });
  return dir;
}
