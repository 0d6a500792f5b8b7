// Shared helpers for the benchmarks: spawning a workload under one agent configuration, bounded by a
// timeout, and the statistics (medians of per-round values) that make numbers on a noisy box usable.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The repo root: children run here so `--import asyncdebug` resolves by package self-reference. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const workload = (name) => fileURLToPath(new URL(`./workloads/${name}`, import.meta.url));

/** none = plain node; default and debug preload the agent. */
export const CONFIGS = {
  none: { execArgv: [], env: {} },
  default: { execArgv: ['--import', 'asyncdebug'], env: {} },
  debug: { execArgv: ['--import', 'asyncdebug'], env: { ASYNC_DEBUG: '1' } },
};

// One temp directory per run holds every child's report directory; removed by cleanup().
const tempRoot = mkdtempSync(join(tmpdir(), 'asyncdebug-bench-'));
let dirCount = 0;
export function cleanup() {
  rmSync(tempRoot, { recursive: true, force: true });
}

/**
 * The child's environment. Inherited ASYNC_DEBUG* and NODE_OPTIONS are dropped so that `none` really is
 * plain node and the agent configurations are exactly what they claim. Agent configs get the JSON
 * reporter only (nothing printed) and a fresh report directory.
 */
function childEnv(config) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ASYNC_DEBUG') || k === 'NODE_OPTIONS') delete env[k];
  let reportDir = null;
  if (config !== 'none') {
    reportDir = join(tempRoot, `r${++dirCount}`);
    mkdirSync(reportDir);
    Object.assign(env, { ASYNC_DEBUG_REPORTERS: 'json', ASYNC_DEBUG_REPORT_DIR: reportDir });
  }
  Object.assign(env, CONFIGS[config].env);
  return { env, reportDir };
}

/**
 * Starts `node [agent flags] workloads/<name> ...args`. Returns the child, its report directory (null for
 * `none`), `onLine` to watch stdout line by line, and `done`, which resolves at exit with the output and
 * the wall time from spawn to exit. The child is SIGKILLed after timeoutMs whatever happens.
 */
export function start(config, name, args = [], { timeoutMs = 30_000 } = {}) {
  const { env, reportDir } = childEnv(config);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...CONFIGS[config].execArgv, workload(name), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let stdout = '';
  let stderr = '';
  let partial = '';
  const lineListeners = [];
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    partial += chunk;
    let i;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      for (const l of lineListeners) l(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      // 'exit' can come before the pipes drain; 'close' means all output is in.
      child.on('close', () => resolve({ code, signal, stdout, stderr, ms }));
    });
  });
  return { child, reportDir, done, onLine: (fn) => lineListeners.push(fn) };
}

/** Runs a workload to completion, with the findings it reported; a failed or killed child is an error, not a number. */
export async function run(config, name, args = [], opts) {
  const proc = start(config, name, args, opts);
  const r = await proc.done;
  if (r.code !== 0) {
    throw new Error(`${name} ${args.join(' ')} [${config}] exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  }
  return { ...r, findings: proc.reportDir ? readFindings(proc.reportDir, proc.child.pid) : [] };
}

/** Resolves with the first stdout line that matches, or rejects after timeoutMs or at exit. */
export function waitForLine(proc, re, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms`)), timeoutMs);
    proc.onLine((line) => {
      const m = re.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    proc.done.then((r) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${r.code ?? r.signal}) before a line matching ${re}: ${r.stderr.trim()}`));
    }, reject);
  });
}

/** The findings in a report directory: every line of every asyncdebug-*.jsonl file (the child's pid). */
export function readFindings(reportDir, pid) {
  let text;
  try {
    text = readFileSync(join(reportDir, `asyncdebug-${pid}.jsonl`), 'utf8');
  } catch {
    return []; // not written yet
  }
  const out = [];
  for (const line of text.split('\n')) {
    try {
      if (line) out.push(JSON.parse(line));
    } catch {
      // a line being written right now: the next poll sees it whole
    }
  }
  return out;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs measure(variant) for every variant, `rounds` times, interleaved (A,B,C,A,B,C...) so that the
 * machine's drift hits every variant alike; every other round runs in reverse order so that no variant
 * always runs right after the same neighbour. Returns { variant: [value per round] }.
 */
export async function interleave(rounds, variants, measure) {
  const out = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...variants].reverse() : variants;
    for (const v of order) out[v].push(await measure(v));
  }
  return out;
}

/** Median over rounds of the per-round ratio a/b (paired: both were measured in the same round). */
export const medianRatio = (a, b) => median(a.map((x, i) => x / b[i]));
/** Median over rounds of the per-round difference a-b. */
export const medianDiff = (a, b) => median(a.map((x, i) => x - b[i]));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
