// The agent of one thread: starts the detectors, the watchdog (main thread only), and writes the
// thread's summary at exit. Everything here is guarded: the agent never throws into the app.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId, workerData, type Worker } from 'node:worker_threads';
import { heartbeatMs, warnOnStderr, type Config } from '../config.js';
import { checkReportWritable } from '../reporters/jsonl.js';
import type { Finding, SummaryFinding } from '../finding.js';
import { REGISTRY_KEY, WATCHDOG_MARK, createRegistry } from '../detectors/block/common.js';
import { startBlockDetector, type BlockThreadDetector } from '../detectors/block/thread.js';
import type { Detector } from '../detectors/detector.js';
import { createReporters } from '../reporters/create.js';
import { createThreadConsoleReporter } from '../reporters/console-thread.js';
import { startSyncIoDetector } from '../detectors/sync-io/thread.js';
import { startThreadpoolDetector } from '../detectors/threadpool/thread.js';
import { startMessagesDetector } from '../detectors/messages/thread.js';
import { startPromiseDetector } from '../detectors/promises/thread.js';
import { loadNativeStackTrace } from '../stack/native-binding.js';
import { removeExportedMaps } from '../frames/exported-maps.js';
import { spawnWatchdog } from '../watchdog/spawn.js';
import { absolutizeExecArgv, followWorkers, threadIdentity } from './propagate.js';

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


/** An unusable report directory is said once, at start, and the json reporter is dropped. */
function checkReportDir(config: Config): Config {
  if (!config.reportDir || !config.reporters.includes('json')) return config;
  try {
    checkReportWritable(config.reportDir);
    return config;
  } catch (err) {
    // Findings must still go somewhere: with json the only reporter, the console takes over.
    const reporters = config.reporters.filter((r) => r !== 'json');
    if (reporters.length === 0) reporters.push('console');
    const rest = reporters.length === 1 && reporters[0] === 'console' ? 'the console' : 'the other reporters';
    warnOnStderr(`cannot write the JSON Lines report in ${JSON.stringify(config.reportDir)} (${(err as Error).message}); findings go to ${rest} only`);
    return { ...config, reportDir: null, reporters };
  }
}

export function startAgent(config: Config): Agent | null {
  if (current) return current;
  if (config.mode === 'off' || isWatchdogThread()) return null;
  const startedAt = Date.now();
  if (isMainThread) config = checkReportDir(config);
  const reportAll = createReporters(config, createThreadConsoleReporter);
  // A worker the app named: every finding made in it says so.
  const ownName = threadIdentity().name;
  const report = ownName ? (f: Finding) => reportAll(Object.assign(f, { threadName: ownName })) : reportAll;
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
  const block: BlockThreadDetector = startBlockDetector(config.slowMs, intervalMs, native, registry);
  // The threadpool detector wraps before sync-io: where both wrap one function (crypto.randomBytes),
  // sync-io's wrapper is the outer one and its sites stay as they were.
  const detectors: Detector[] = [block, startThreadpoolDetector(config, emit), startSyncIoDetector(config, emit), startMessagesDetector(config, emit)];
  if (config.mode === 'debug') detectors.push(startPromiseDetector(config, emit));

  let watchdog: Worker | null = null;
  if (isMainThread) {
    absolutizeExecArgv(process.execArgv);
    // Started now, while the app's modules load: on a busy machine a worker takes 100-300 ms to boot,
    // and a watchdog started later (at the first loop turn) missed the stacks of early blocks in CI.
    // Not waited for: waiting until it watches cost every process ~60 ms of start-up here. A gap the
    // watchdog joins late has its unread beginning counted as start-up (watchdog.ts), and a gap it
    // never saw is counted, not reported (thread.ts).
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
    // Listening refs the worker's port again: the agent must keep nothing alive, subscribed or not.
    watchdog.unref();
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
      message: `${threadId === 0 ? 'Main thread' : `Worker thread ${threadId}${ownName ? ` ${JSON.stringify(ownName)}` : ''}`} ran ${Date.now() - startedAt} ms with ${counts.block ?? 0} block(s); start-up blocked the loop ${block.startupBlockMs()} ms.`,
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
      ...block.quietGaps(),
    };
    delay.disable();
    report(summary);
    if (isMainThread) removeExportedMaps();
  }

  const onExit = () => {
    try {
      writeSummary();
    } catch {
      // never into the app's exit
    }
  };
  process.on('exit', onExit);

  // No SIGINT/SIGTERM listener: a JavaScript listener replaces the signal's default action and cannot
  // run while the loop is stuck, so an app in an infinite loop could no longer be stopped with Ctrl-C
  // (and a listener removed from another thread does not bring the default back). A process ended by
  // a signal it does not handle writes no summary; every finding was written when it was made.

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
      for (const d of detectors) d.stop();
      delay.disable();
      void watchdog?.terminate().catch(() => {});
      current = null;
    },
  };
  current = agent;
  return agent;
}
