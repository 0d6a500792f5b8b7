// Configuration from the environment, read through the table in env-table.ts. A bad value never
// throws: one warning line names the variable, the value and what is accepted, and the default is used.
import { dirname, join, resolve } from 'node:path';
import { writeSync, pid as agentPid } from './original.js';
import { builtin } from './lazy-builtin.js';
import type { Config, Warn } from './config-types.js';
import { BAD, ENV_TABLE, badValueWarning, isParsed } from './env-table.js';
import { processFiles } from './process-files.js';

export type { Config, Mode, OtelExport, ReporterName, StackEngine, SyncAfter, Warn } from './config-types.js';

export { DEFAULT_SLOW_MS } from './env-table.js';

/** Warnings go straight to fd 2, never through the app's streams or its (possibly blocked) loop. */
export const warnOnStderr: Warn = (line) => {
  try {
    writeSync(2, `asyncdebug: ${line}\n`);
  } catch {
    // stderr closed: nothing sensible to do.
  }
};

/** Configuration warnings once per process: workers re-read the same environment. */
export const warnFromMainThread: Warn = (line) => {
  // Loaded here, not at the top: worker_threads (and node:stream under it) costs an app that runs with
  // ASYNC_DEBUG=0 several ms of start-up, and only a warning needs it.
  const { isMainThread } = builtin<typeof import('node:worker_threads')>('worker_threads');
  if (isMainThread) warnOnStderr(line);
};

/**
 * The configuration: the environment's, with `overrides` (the options of `start()`) laid over it field by
 * field, then the rules between fields applied once to the result. So an option means what its variable
 * means: `start({ otel: 'prometheus' })` turns the otel reporter on as ASYNC_DEBUG_OTEL=prometheus does.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env, warn: Warn = warnFromMainThread, overrides: Partial<Config> = {}): Config {
  return resolveReporters({ ...readEnv(env, warn), ...overrides }, warn);
}

/** Every variable of the table, parsed; a bad or empty one gives its default. */
function readEnv(env: NodeJS.ProcessEnv, warn: Warn): Config {
  const config = {} as Record<keyof Config, unknown>;
  for (const r of ENV_TABLE) {
    if (!isParsed(r)) continue;
    const raw = env[r.name];
    let value: unknown = BAD;
    if (raw !== undefined && raw.trim() !== '') {
      value = r.parse(raw, warn);
      if (value === BAD) warn(badValueWarning(r, raw));
    }
    config[r.key] = value === BAD ? structuredClone(r.default) : value;
  }
  return config as Config;
}

/** The rules between variables: a report directory turns on json, and json needs one; ASYNC_DEBUG_OTEL turns on otel. */
function resolveReporters(config: Config, warn: Warn): Config {
  const reporters = new Set(config.reporters);
  if (config.otel) reporters.add('otel');
  if (config.reportDir) reporters.add('json');
  else if (reporters.has('json')) {
    reporters.delete('json');
    warn(`the json reporter needs ASYNC_DEBUG_REPORT_DIR=<directory>; no JSON Lines report will be written${reporters.size ? '' : ', findings go to the console'}`);
    if (reporters.size === 0) reporters.add('console');
  }
  return { ...config, reporters: [...reporters] };
}

/**
 * The name the json reporter of process `pid` gives its report in `dir` (ASYNC_DEBUG_REPORT_DIR):
 * `<dir>/asyncdebug-<pid>.jsonl`. When that name is taken at start (an earlier process's, a planted file),
 * the process writes a fresh `asyncdebug-<pid>-<random>.jsonl` instead: see processReportPath.
 */
export function reportPath(dir: string, pid = agentPid): string {
  return join(resolve(dir), `asyncdebug-${pid}.jsonl`);
}

/** The report this process writes in `dir`: the file its agent made there, else the name it would make. */
export function processReportPath(dir: string): string {
  const made = processFiles().report?.path;
  return made && dirname(made) === resolve(dir) ? made : reportPath(dir);
}

/** How often each thread proves its loop turns, and how often the watchdog looks. */
export function heartbeatMs(slowMs: number): number {
  return Math.max(2, Math.min(20, Math.round(slowMs / 10)));
}
