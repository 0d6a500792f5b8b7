// Runs fixture apps in real Node processes with the agent preloaded and reads their JSON Lines reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const FIXTURES = join(ROOT, 'test', 'fixtures');

import type { FindingBase, Frame } from '../src/finding.js';

export type { Frame };
/** A report line as parsed: the contract's fields, and the extras of each kind. */
export type Line = FindingBase & { [extra: string]: unknown };

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** The 1-based line of the `// @block` marker (or another marker) in a fixture. */
export function markerLine(file: string, marker = '@block'): number {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`no ${marker} marker in ${file}`);
  return index + 1;
}

const made: string[] = [];
// Removed when the test file is done; a failing run can set KEEP_TEST_DIRS=1 to read the reports.
afterAll(() => {
  if (process.env.KEEP_TEST_DIRS) return;
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'asyncdebug-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * Every line of every report in the directory, in file order. Only whole lines: while the process runs
 * (a poll for killWhen), a line being written may be read half-way; it is read whole at the next poll.
 */
export function readReports(dir: string): Line[] {
  if (!existsSync(dir)) return [];
  const lines: Line[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
    const whole = readFileSync(join(dir, name), 'utf8').split('\n').slice(0, -1);
    for (const text of whole) {
      if (text.trim()) lines.push(JSON.parse(text) as Line);
    }
  }
  return lines;
}

/** The latest line per id (later lines supersede earlier ones, as the contract says). */
export function latest(lines: Line[]): Line[] {
  const byId = new Map<string, Line>();
  for (const l of lines) byId.set(`${l.pid}:${l.id}`, l);
  return [...byId.values()];
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  dir: string;
  lines: Line[];
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  args?: string[];
  /** Node flags before the script; default preloads the agent. */
  nodeArgs?: string[];
  cwd?: string;
  /** Kill the process once this predicate holds for the report lines (polled). */
  killWhen?: (lines: Line[]) => boolean;
  killSignal?: NodeJS.Signals;
  /** Kill when stdout contains this. */
  killOnStdout?: string;
  timeoutMs?: number;
}

export function runNode(script: string, options: RunOptions = {}): Promise<RunResult> {
  const dir = tempDir();
  const env: Record<string, string | undefined> = {
    ...process.env,
    ASYNC_DEBUG_REPORT_DIR: dir,
    ASYNC_DEBUG_REPORTERS: 'json',
    NO_COLOR: '1',
    ...options.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const nodeArgs = options.nodeArgs ?? ['--import', 'asyncdebug'];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script, ...(options.args ?? [])], {
    cwd: options.cwd ?? ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const signal = options.killSignal ?? 'SIGKILL';
  const poll = setInterval(() => {
    if (options.killWhen && options.killWhen(readReports(dir))) child.kill(signal);
    if (options.killOnStdout && stdout.includes(options.killOnStdout)) child.kill(signal);
  }, 25);
  const limit = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((done) => {
    child.on('close', (code, sig) => {
      clearInterval(poll);
      clearTimeout(limit);
      done({ code, signal: sig, stdout, stderr, dir, lines: readReports(dir) });
    });
  });
}

export function blocks(lines: Line[]): Line[] {
  return latest(lines).filter((l) => l.kind === 'block');
}
