// The agent of one thread: starts the detectors, the watchdog (main thread only), and writes the
// thread's summary at exit. Everything here is guarded: the agent never throws into the app.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId, workerData, type Worker } from 'node:worker_threads';
import { heartbeatMs, warnOnStderr, type Config } from '../config.js';
import { ensureDir } from '../reporters/jsonl.js';
import type { Finding, SummaryFinding } from '../finding.js';
import { REGISTRY_KEY, WATCHDOG_MARK, createRegistry } from '../detectors/block/common.js';
import { startBlockDetector, type BlockThreadDetector } from '../detectors/block/thread.js';
import type { Detector } from '../detectors/detector.js';
import { createReporters } from '../reporters/create.js';
import { createThreadConsoleReporter } from '../reporters/console-thread.js';
import { startSyncIoDetector } from '../detectors/sync-io/thread.js';
import { startPromiseDetector } from '../detectors/promises/thread.js';
import { loadNativeStackTrace } from '../stack/native-binding.js';
import { spawnWatchdog } from '../watchdog/spawn.js';
import { absolutizeExecArgv, followWorkers } from './propagate.js';

export type FindingListener = (finding: Finding) => void;
// Re-exported so that asyncdebug/api reaches the same module instance as the (bundled) agent.
export { allowSync, SyncIOError } from '../detectors/sync-io/thread.js';

export interface Agent {
  readonly config: Config;
  subscribe(listener: FindingListener): () => void;
  stop(): void;
}

let current: Agent | null = null;

export function currentAgent(): Agent | null {
  return current;
}

/** True inside the agent's own watchdog worker, where the agent must never start. */
export function isWatchdogThread(): boolean {
  return !isMainThread && typeof workerData === 'object' && workerData !== null && WATCHDOG_MARK in workerData;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** An unusable report directory is said once, at start, and the json reporter is dropped. */
function checkReportDir(config: Config): Config {
  if (!config.reportDir || !config.reporters.includes('json')) return config;
  try {
    ensureDir(config.reportDir);
    return config;
  } catch (err) {
    warnOnStderr(`cannot write the JSON Lines report in ${JSON.stringify(config.reportDir)} (${(err as Error).message}); findings go to the other reporters only`);
    return { ...config, reportDir: null, reporters: config.reporters.filter((r) => r !== 'json') };
  }
}

export function startAgent(config: Config): Agent | null {
  if (current) return current;
  if (config.mode === 'off' || isWatchdogThread()) return null;
  const startedAt = Date.now();
  if (isMainThread) config = checkReportDir(config);
  const report = createReporters(config, createThreadConsoleReporter);
  const listeners = new Set<FindingListener>();

  const intervalMs = heartbeatMs(config.slowMs);
  const native = config.engine === 'inspector' ? null : loadNativeStackTrace();
  const notify = (f: Finding) => {
    for (const l of listeners) {
      try {
        l(f);
      } catch {
        // a listener's error is its own
      }
    }
  };
  // Findings made in this thread go to the reporters and to this thread's subscribers.
  const emit = (f: Finding) => {
    report(f);
    notify(f);
  };
  // The main thread makes the registry of thread slots; every worker inherits it as environment data.
  let registry: SharedArrayBuffer | null = null;
  if (isMainThread) {
    registry = createRegistry();
    setEnvironmentData(REGISTRY_KEY, registry);
  } else {
    const inherited = getEnvironmentData(REGISTRY_KEY);
    registry = inherited instanceof SharedArrayBuffer ? inherited : null;
  }
  const block: BlockThreadDetector = startBlockDetector(config.slowMs, intervalMs, native, emit, registry);
  const detectors: Detector[] = [block, startSyncIoDetector(config, emit)];
  if (config.mode === 'debug') detectors.push(startPromiseDetector(config, emit));

  let watchdog: Worker | null = null;
  if (isMainThread) {
    absolutizeExecArgv(process.execArgv);
    // Started now, while the app's modules load: on a busy machine a worker takes 100-300 ms to boot,
    // and a watchdog started later (at the first loop turn) missed the stacks of early blocks in CI.
    watchdog = spawnWatchdog(config, intervalMs, registry as SharedArrayBuffer);
  }
  followWorkers();

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const eluStart = performance.eventLoopUtilization();

  let forwarding = false;
  /** Blocks are found by the watchdog: it forwards them to the main thread once a subscriber asks. */
  function forwardFromWatchdog(): void {
    if (!watchdog || forwarding || listeners.size === 0) return;
    forwarding = true;
    watchdog.on('message', notify);
    watchdog.postMessage('subscribe');
  }
  let summarized = false;
  function writeSummary(): void {
    if (summarized) return;
    summarized = true;
    for (const d of detectors) d.atExit();
    const counts: SummaryFinding['counts'] = {};
    for (const d of detectors) Object.assign(counts, d.counts());
    const ns = (v: number) => Math.round((Number.isFinite(v) ? v : 0) / 1e4) / 100;
    const summary: SummaryFinding = {
      v: 1,
      id: `summary-${threadId}`,
      kind: 'summary',
      time: startedAt,
      pid: process.pid,
      threadId,
      message: `${threadId === 0 ? 'Main thread' : `Worker thread ${threadId}`} ran ${Date.now() - startedAt} ms with ${counts.block ?? 0} block(s); start-up blocked the loop ${block.startupBlockMs()} ms.`,
      site: null,
      frames: [],
      loopDelay: {
        p50: delay.count ? ns(delay.percentile(50)) : 0,
        p99: delay.count ? ns(delay.percentile(99)) : 0,
        max: Math.max(delay.count ? ns(delay.max) : 0, block.worstMs()),
      },
      elu: Math.round(performance.eventLoopUtilization(eluStart).utilization * 1000) / 1000,
      counts,
      startupBlockMs: block.startupBlockMs(),
      mode: config.mode === 'debug' ? 'debug' : 'default',
    };
    delay.disable();
    report(summary);
  }

  const onExit = () => {
    try {
      writeSummary();
    } catch {
      // never into the app's exit
    }
  };
  process.on('exit', onExit);

  // A signal with no handler of the app's kills the process without 'exit': write the summary, then
  // let the signal do what it would have done (same exit status). If the app handles it, we stay out.
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    onExit();
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  };
  if (isMainThread) for (const s of SIGNALS) process.on(s, onSignal);

  const agent: Agent = {
    config,
    subscribe(listener) {
      listeners.add(listener);
      forwardFromWatchdog();
      return () => {
        listeners.delete(listener);
      };
    },
    stop() {
      process.removeListener('exit', onExit);
      if (isMainThread) for (const s of SIGNALS) process.removeListener(s, onSignal);
      for (const d of detectors) d.stop();
      delay.disable();
      void watchdog?.terminate().catch(() => {});
      current = null;
    },
  };
  current = agent;
  return agent;
}
