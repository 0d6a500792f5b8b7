// The agent of one thread: claims the thread's registry slot, starts its heartbeat (the block detector)
// and the detectors of the table, publishes its loop health, sends its findings out (hub/outbox.ts),
// starts the watchdog with the findings hub (main thread only), and writes the thread's summary at
// exit. Everything here is guarded: the agent never throws into the app.
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId, workerData, type Worker } from 'node:worker_threads';
import { heartbeatMs, warnOnStderr, type Config } from '../config.js';
import { checkReportWritable } from '../reporters/jsonl.js';
import { makeFinding, type Finding, type SummaryFinding } from '../finding.js';
import { HUB_GONE, HUB_STATE, TO_MAIN, REGISTRY_KEY, SLOT_BYTES, claimSlot, createRegistry, registryGlobals, viewSlot, writeSlotName } from '../watchdog/registry.js';
import { WATCHDOG_MARK } from '../watchdog/marker.js';
import { startBlockDetector } from '../detectors/block/thread.js';
import type { Detector } from '../detectors/detector.js';
import { DETECTORS } from '../detectors/table.js';
import { startStartupPhase } from '../detectors/startup.js';
import { startHealthPublisher } from '../hub/publish.js';
import { openOutbox } from '../hub/outbox.js';
import { readHealth, type ThreadHealth } from '../hub/health.js';
import { reportersAt } from '../reporters/load.js';
import { loadNativeStackTrace } from '../stack/native-binding.js';
import { removeExportedMaps } from '../frames/exported-maps.js';
import { REPORTERS } from '../reporters/table.js';
import { spawnWatchdog } from '../watchdog/spawn.js';
import { absolutizeExecArgv, followWorkers, threadIdentity } from './propagate.js';

export type FindingListener = (finding: Finding) => void;
// Re-exported so that asyncdebug/api reaches the same module instance as the (bundled) agent.
export { allowSync, SyncIOError } from '../detectors/sync-io/thread.js';

export interface Agent {
  readonly config: Config;
  subscribe(listener: FindingListener): () => void;
  /** Every watched thread's loop health now (the main thread sees all threads; a worker too). */
  health(): ThreadHealth[];
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
  // A worker the app named: every finding made in it says so.
  const ownName = threadIdentity().name;
  const listeners = new Set<FindingListener>();
  const intervalMs = heartbeatMs(config.slowMs);
  const native = config.engine === 'inspector' ? null : loadNativeStackTrace();

  // The main thread makes the registry of thread slots; every worker inherits it as environment data.
  let registry: SharedArrayBuffer | null = null;
  if (isMainThread) {
    registry = createRegistry();
    setEnvironmentData(REGISTRY_KEY, registry);
  } else {
    const inherited = getEnvironmentData(REGISTRY_KEY);
    registry = inherited instanceof SharedArrayBuffer ? inherited : null;
  }
  // No registry (no agent in the main thread) or no free slot: a private slot nobody watches.
  const claimed = registry ? claimSlot(registry, threadId) : null;
  const slot = claimed ?? viewSlot(new SharedArrayBuffer(SLOT_BYTES));
  writeSlotName(slot, ownName ?? undefined);
  const outbox = openOutbox(config, claimed ? registry : null, claimed, isMainThread);

  const notify = (f: Finding) => {
    for (const l of listeners) {
      try {
        l(f);
      } catch {
        // a listener's error is its own
      }
    }
  };
  // Findings made in this thread: to its own reporters and the hub, and to this thread's subscribers.
  // Reporters of place `main` (the app's own OpenTelemetry SDK): every thread's findings, in the main thread.
  const mainReporters = isMainThread ? reportersAt('main', config, { warn: warnOnStderr, health: () => (registry ? readHealth(registry, config.slowMs) : []) }) : null;
  const emit = (f: Finding) => {
    if (ownName) f.threadName = ownName;
    outbox.send(f);
    // The main thread's own findings reach its `main` reporters here, the others' through the hub.
    mainReporters?.report(f);
    notify(f);
  };

  const health = startHealthPublisher(slot, intervalMs);
  const block = startBlockDetector(config.slowMs, intervalMs, native, slot, health.beat);
  const startup = startStartupPhase(config);
  const detectors: Detector[] = [block];
  for (const entry of DETECTORS) {
    if ((entry.debugOnly && config.mode !== 'debug') || (entry.mainOnly && !isMainThread)) continue;
    try {
      detectors.push(entry.start({ config, emit, startup: startup.phase, slot }));
    } catch {
      // one detector that cannot start leaves the others running
    }
  }

  let watchdog: Worker | null = null;
  if (isMainThread && registry) {
    absolutizeExecArgv(process.execArgv);
    // Started now, while the app's modules load: on a busy machine a worker takes 100-300 ms to boot,
    // and a watchdog started later (at the first loop turn) missed the stacks of early blocks in CI.
    // Not waited for: waiting until it watches cost every process ~60 ms of start-up here. A gap the
    // watchdog joins late has its unread beginning counted as start-up (watchdog.ts), and a gap it
    // never saw is counted, not reported (thread.ts). Findings wait in the rings until the hub is up.
    watchdog = spawnWatchdog(config, intervalMs, registry);
    if (!watchdog) Atomics.store(registryGlobals(registry), HUB_STATE, HUB_GONE);
  }
  followWorkers();

  // The main thread receives every other thread's findings from the hub once something here wants
  // them: a subscriber, or a reporter of place `main` (a message event costs a block on Node 22+ the
  // first time, so not before).
  let forwarding = false;
  const fromHub = (f: Finding) => {
    mainReporters?.report(f);
    notify(f);
  };
  function forwardFromHub(): void {
    if (!watchdog || forwarding) return;
    forwarding = true;
    if (registry) Atomics.store(registryGlobals(registry), TO_MAIN, 1);
    watchdog.on('message', fromHub);
    // Listening refs the worker's port again: the agent must keep nothing alive, subscribed or not.
    watchdog.unref();
  }
  if (mainReporters && mainReporters.names.length > 0) forwardFromHub();

  let summarized = false;
  function writeSummary(): void {
    if (summarized) return;
    summarized = true;
    startup.exit();
    for (const d of detectors) d.atExit();
    const counts: SummaryFinding['counts'] = {};
    const extra: Partial<SummaryFinding> = {};
    for (const d of detectors) {
      Object.assign(counts, d.counts());
      Object.assign(extra, d.summary?.());
    }
    const life = health.lifetime();
    const dropped = outbox.dropped();
    const summary = makeFinding<SummaryFinding>('summary', {
      id: `summary-${threadId}`,
      time: startedAt,
      message: `${threadId === 0 ? 'Main thread' : `Worker thread ${threadId}${ownName ? ` ${JSON.stringify(ownName)}` : ''}`} ran ${Date.now() - startedAt} ms with ${counts.block ?? 0} block(s); start-up blocked the loop ${block.startupBlockMs()} ms.`,
      site: null,
      frames: [],
      loopDelay: { p50: life.p50, p99: life.p99, max: Math.max(life.max, block.worstMs()) },
      elu: life.elu,
      counts,
      startupBlockMs: 0,
      unnamedBlocks: 0,
      unnamedBlockMs: 0,
      exitIdleMs: 0,
      mode: config.mode === 'debug' ? 'debug' : 'default',
      ...extra,
      ...(dropped > 0 ? { droppedFindings: dropped } : {}),
    });
    if (ownName) summary.threadName = ownName;
    outbox.close(summary);
    mainReporters?.report(summary);
    mainReporters?.flush();
    notify(summary);
    if (isMainThread) removeExportedMaps();
    if (isMainThread) {
      for (const name of config.reporters) {
        try {
          REPORTERS[name]?.atProcessExit?.(config);
        } catch {
          // never into the app's exit
        }
      }
    }
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
      forwardFromHub();
      return () => {
        listeners.delete(listener);
      };
    },
    health: () => (registry && claimed ? readHealth(registry, config.slowMs) : []),
    stop() {
      process.removeListener('exit', onExit);
      for (const d of detectors) d.stop();
      startup.stop();
      mainReporters?.close();
      void watchdog?.terminate().catch(() => {});
      current = null;
    },
  };
  current = agent;
  return agent;
}
