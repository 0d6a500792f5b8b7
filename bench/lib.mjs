// Shared helpers for the benchmarks: spawning a workload under one configuration (no agent, asyncdebug,
// or a peer tool), bounded by a timeout, and the statistics (medians of per-round values) that make
// numbers on a noisy box usable.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The repo root: children run here so `--import asyncdebug` resolves by package self-reference. */
/** --verbose: every single measurement goes to stderr as it is made. */
const VERBOSE = process.argv.includes('--verbose');

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const workload = (name) => fileURLToPath(new URL(`./workloads/${name}`, import.meta.url));

const BLOCKED_AT_PRELOAD = fileURLToPath(new URL('./peers/blocked-at-preload.cjs', import.meta.url));
const EMPTY_HOOKS_PRELOAD = fileURLToPath(new URL('./peers/empty-promise-hooks.cjs', import.meta.url));

/**
 * none = plain node; default and debug preload the agent; blockedat preloads the blocked-at package
 * (threshold 100 ms, its other options left at their defaults); tracesyncio is node's own
 * --trace-sync-io, whose warnings go to stderr, which is discarded (/dev/null) for that config.
 */
export const CONFIGS = {
  none: { execArgv: [], env: {} },
  default: { execArgv: ['--import', 'asyncdebug'], env: {} },
  debug: { execArgv: ['--import', 'asyncdebug'], env: { ASYNC_DEBUG: '1' } },
  blockedat: { execArgv: ['-r', BLOCKED_AT_PRELOAD], env: {} },
  tracesyncio: { execArgv: ['--trace-sync-io'], env: {}, discardStderr: true },
  // Reference for debug mode: empty v8.promiseHooks, the floor of any promise instrumentation.
  hooks: { execArgv: ['-r', EMPTY_HOOKS_PRELOAD], env: {} },
};
/** How the configurations are named in tables. */
export const CONFIG_LABELS = {
  none: 'no agent',
  default: 'asyncdebug default',
  debug: 'asyncdebug debug',
  blockedat: 'blocked-at',
  tracesyncio: '--trace-sync-io',
  hooks: 'empty promise hooks',
};
export const isAgent = (config) => config === 'default' || config === 'debug';

// One temp directory per run holds every child's report directory; removed by cleanup().
const tempRoot = mkdtempSync(join(tmpdir(), 'asyncdebug-bench-'));
let dirCount = 0;
export function cleanup() {
  rmSync(tempRoot, { recursive: true, force: true });
}

/**
 * The child's environment. Inherited ASYNC_DEBUG*, BLOCKED_AT_LOG and NODE_OPTIONS are dropped so that
 * `none` really is plain node and the other configurations are exactly what they claim. Agent configs
 * get the JSON reporter only (nothing printed) and a fresh report directory; blocked-at gets a fresh
 * file its preload appends one JSON line to per report (the same kind of work as our JSON reporter).
 */
function childEnv(config) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('ASYNC_DEBUG') || k === 'NODE_OPTIONS' || k === 'BLOCKED_AT_LOG') delete env[k];
  }
  let reportDir = null;
  let peerLog = null;
  if (isAgent(config)) {
    reportDir = join(tempRoot, `r${++dirCount}`);
    mkdirSync(reportDir);
    Object.assign(env, { ASYNC_DEBUG_REPORTERS: 'json', ASYNC_DEBUG_REPORT_DIR: reportDir });
  } else if (config === 'blockedat') {
    peerLog = join(tempRoot, `blocked-at-${++dirCount}.jsonl`);
    env.BLOCKED_AT_LOG = peerLog;
  }
  Object.assign(env, CONFIGS[config].env);
  return { env, reportDir, peerLog };
}

// bash's `times` prints, after the command, the CPU time (user, system; ms resolution) of the children it
// waited for: the whole of node's process, every thread included, however short it ran. Node has no
// getrusage(RUSAGE_CHILDREN), and /proc/<pid>/stat is gone once node has reaped the child.
const TIMES_WRAPPER = ['-c', '"$@"; rc=$?; times; exit $rc', 'bash'];
const TIMES_LINE = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;

/** The last two lines `times` printed: { cpuMs: the child's user + system, stdout: what was before them }. */
function splitTimes(stdout) {
  const lines = stdout.trimEnd().split('\n');
  const m = TIMES_LINE.exec(lines.at(-1) ?? '');
  if (!m || lines.length < 2) return { cpuMs: null, stdout };
  const cpuMs = (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
  return { cpuMs, stdout: lines.slice(0, -2).join('\n') };
}

/**
 * Starts `node [nodeArgs] [config flags] workloads/<name> ...args`. Returns the child, its report
 * directory (agent configs) or blocked-at log (blockedat), `onLine` to watch stdout line by line, and
 * `done`, which resolves at exit with the output and the wall time from spawn to exit. The child is
 * SIGKILLed after timeoutMs whatever happens. childCpu: node runs under bash, which adds `cpuMs` (CPU of
 * all node's threads, start to exit) to the result; the wall time then includes bash's few ms. prefix: a
 * command node runs under (valgrind); extraEnv: more variables for the child.
 */
export function start(config, name, args = [], { timeoutMs = 30_000, nodeArgs = [], childCpu = false, prefix = [], extraEnv = {} } = {}) {
  const { env, reportDir, peerLog } = childEnv(config);
  Object.assign(env, extraEnv);
  const t0 = performance.now();
  const command = [...(childCpu ? ['bash', ...TIMES_WRAPPER] : []), ...prefix, process.execPath, ...nodeArgs, ...CONFIGS[config].execArgv, workload(name), ...args];
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', CONFIGS[config].discardStderr ? 'ignore' : 'pipe'],
    detached: childCpu, // under bash, node is a grandchild: the timeout kills the whole process group
  });
  const timer = setTimeout(() => {
    try {
      if (childCpu) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
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
  child.stderr?.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      // 'exit' can come before the pipes drain; 'close' means all output is in.
      child.on('close', () => resolve({ code, signal, stdout, stderr, ms, ...(childCpu ? splitTimes(stdout) : {}) }));
    });
  });
  return { config, child, reportDir, peerLog, done, onLine: (fn) => lineListeners.push(fn) };
}

/** Runs a workload to completion, with the findings it reported; a failed or killed child is an error, not a number. */
export async function run(config, name, args = [], opts) {
  const proc = start(config, name, args, opts);
  const r = await proc.done;
  if (r.code !== 0) {
    throw new Error(`${name} ${args.join(' ')} [${config}] exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  }
  return { ...r, findings: proc.reportDir ? readFindings(proc.reportDir, proc.child.pid) : [], reported: blockReported(proc) };
}

/** The last stdout line of a finished workload, parsed: every workload ends with one JSON line. */
export const lastJson = (r) => JSON.parse(r.stdout.trim().split('\n').pop());

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

/** The JSON lines of a file so far, or [] before it exists; a line still being written is skipped. */
function readJsonLines(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
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

/** The findings in a report directory: every line of the child's asyncdebug-<pid>.jsonl. */
export function readFindings(reportDir, pid) {
  return readJsonLines(join(reportDir, `asyncdebug-${pid}.jsonl`));
}

/** The blocked-at preload's reports so far (one JSON line each). */
export function readPeerLog(file) {
  return readJsonLines(file);
}

/** Whether the child's tool has reported a block so far (asyncdebug: a "block" finding; blocked-at: any report). */
export function blockReported(proc) {
  if (proc.reportDir) return readFindings(proc.reportDir, proc.child.pid).some((f) => f.kind === 'block');
  if (proc.peerLog) return readPeerLog(proc.peerLog).length > 0;
  return false;
}

/** Peak RSS so far of a live child in KiB (VmHWM, Linux), or null where /proc has no answer. */
export function peakRssKb(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The order of the variants in round r: a Williams design (0, 1, n-1, 2, n-2, ...) rotated by one each
 * round, and for an odd count mirrored every other n rounds. Over n rounds (2n if n is odd) every
 * variant runs once in every position and right after every other variant once, so neither running
 * first nor a heavy neighbour (blocked-at) falls on the same variant every round.
 */
export function roundOrder(n, r) {
  const base = [0];
  for (let i = 1, lo = 1, hi = n - 1; i < n; i++) base.push(i % 2 ? lo++ : hi--);
  const order = base.map((x) => (x + r) % n);
  return n % 2 && Math.floor(r / n) % 2 ? order.reverse() : order;
}

/**
 * Runs measure(variant, round) for every variant, `rounds` times, interleaved (all variants in each
 * round, in roundOrder) so that the machine's drift hits every variant alike.
 * Returns { variant: [value per round] }.
 */
export async function interleave(rounds, variants, measure) {
  const out = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const i of roundOrder(variants.length, r)) {
      const value = await measure(variants[i], r);
      if (VERBOSE) process.stderr.write(`    round ${r} ${variants[i]}: ${JSON.stringify(value)}\n`);
      out[variants[i]].push(value);
    }
  }
  return out;
}

/** Median over rounds of the per-round ratio a/b (paired: both were measured in the same round). */
export const medianRatio = (a, b) => median(a.map((x, i) => x / b[i]));
/** Median over rounds of the per-round difference a-b. */
export const medianDiff = (a, b) => median(a.map((x, i) => x - b[i]));
/** [lowest, highest] per-round ratio a/b: how far one round can be from the median on this box. */
export const ratioRange = (a, b) => {
  const rs = a.map((x, i) => x / b[i]);
  return [Math.min(...rs), Math.max(...rs)];
};
export const diffRange = (a, b) => {
  const ds = a.map((x, i) => x - b[i]);
  return [Math.min(...ds), Math.max(...ds)];
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
