// The agent of one thread: claims the thread's registry slot, starts its heartbeat (the block detector)
// and the detectors of the table, publishes its loop health (loop-health.ts), sends its findings out
// (outbox.ts), starts the watchdog with the findings hub (main thread only: watchdog-link.ts), and
// writes the thread's summary at exit (summary.ts). Everything here is guarded: the agent never throws
// into the app.
import { getEnvironmentData, isMainThread, setEnvironmentData, threadId, workerData } from 'node:worker_threads';
import { heartbeatMs, warnOnStderr, type Config } from '../config.js';
import { openProcessReport } from '../reporters/jsonl.js';
import { Flag, processFiles } from '../process-files.js';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { Registry, READ_WAIT_MS, REGISTRY_KEY, newRegistryBuffer, privateSlot, type WatchedSlot } from '../protocol/registry.js';
import type { ThreadSlot } from '../protocol/thread-slot.js';
import { healthReader, readUnwatched } from '../protocol/health.js';
import { WATCHDOG_MARK } from '../watchdog/marker.js';
import { startBlockDetector, type BlockThreadDetector } from '../detectors/block/heartbeat.js';
import type { Detector, DetectorContext } from '../detectors/detector.js';
import { DETECTORS } from '../detectors/detector-list.js';
import { startStartupPhase, type StartupControl } from '../detectors/startup.js';
import { loadNativeStackTrace } from '../stack/native-binding.js';
import { startRequestNaming, type RequestNaming } from '../detectors/block/request-naming.js';
import { contextFramesOn } from '../request-state.js';
import { removeExportedMaps } from '../frames/exported-maps.js';
import { REPORTERS } from '../reporters/reporter-list.js';
import { startHealthPublisher, type HealthPublisher } from './loop-health.js';
import { openLocalDelivery, type FindingListener, type LocalDelivery } from './local-delivery.js';
import { openOutbox, type Outbox } from './outbox.js';
import { childrenLeave, followWorkers } from './propagate.js';
import { threadIdentity } from '../thread-identity.js';
import { buildSummary } from './summary.js';
import { startWatchdog, type WatchdogLink } from './watchdog-link.js';
import { now } from '../original.js';
import { atThreadExit } from './exit-hook.js';
import { hideAgentFramesFromStacks } from '../frames/hide.js';

export type { FindingListener } from './local-delivery.js';
// Re-exported so that asyncdebug/api reaches the same module instance as the (bundled) agent.
export { allowSync, SyncIOError } from '../detectors/sync-io/sync-io-detector.js';

export interface Agent {
  readonly config: Config;
  subscribe(listener: FindingListener): () => void;
  /** Every watched thread's loop health now (the main thread sees all threads; a worker too), and the
   *  threads past the limit, `watched: false`. */
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

/**
 * The main thread makes the process's report file at start (new, private; every other thread appends to
 * that file): an unusable report directory is said once, then, and the json reporter is dropped.
 */
function checkReportDir(config: Config): Config {
  if (!config.reportDir || !config.reporters.includes('json')) return config;
  try {
    openProcessReport(config);
    return config;
  } catch (err) {
    // Findings must still go somewhere: with json the only reporter, the console takes over.
    const reporters = config.reporters.filter((r) => r !== 'json');
    if (reporters.length === 0) reporters.push('console');
    const rest = reporters.length === 1 && reporters[0] === 'console' ? 'the console' : 'the other reporters';
    warnOnStderr(`cannot write the JSON Lines report in ${JSON.stringify(config.reportDir)} (${(err as Error).message}); findings go to ${rest} only`);
    // Said once for the process: the workers and the watchdog, which read the same directory, stay silent.
    Atomics.store(processFiles().flags, Flag.writeFailed, 1);
    return { ...config, reportDir: null, reporters };
  }
}

/**
 * The main thread makes the registry of thread slots; every worker inherits it as environment data.
 * `watched` is null when this thread has no slot in it (no agent in the main thread, no free slot):
 * it then gets a private slot nobody watches.
 */
function takeSlot(maxThreads: number): { registry: Registry | null; slot: ThreadSlot; watched: WatchedSlot | null } {
  let registry: Registry | null = null;
  if (isMainThread) {
    registry = new Registry(newRegistryBuffer(maxThreads));
    setEnvironmentData(REGISTRY_KEY, registry.buffer);
  } else {
    const inherited = getEnvironmentData(REGISTRY_KEY);
    registry = inherited instanceof SharedArrayBuffer ? new Registry(inherited) : null;
  }
  const claimed = registry?.claim(threadId) ?? null;
  // Past the limit: one line for the process (the first thread that found no slot), health() lists them.
  if (registry && !claimed && registry.noteUnwatched(threadId)) {
    warnOnStderr(`${registry.maxSlots} threads are watched, the most at once (ASYNC_DEBUG_MAX_THREADS): thread ${threadId} is not, nor is any thread started while they all run (their blocks are not found; health() lists them with watched: false)`);
  }
  return { registry, slot: claimed ?? privateSlot(), watched: registry && claimed ? { registry, slot: claimed } : null };
}

/**
 * The thread's last word to the registry as it exits, before Node frees it: from now on no stack read
 * may begin (the main thread: for every thread), and one begun is waited for (protocol/registry.ts).
 */
function leaveRegistry(registry: Registry, listedUnwatched: boolean): void {
  try {
    if (isMainThread) registry.close(READ_WAIT_MS);
    else {
      childrenLeave(registry);
      registry.leave(threadId, READ_WAIT_MS);
    }
    if (listedUnwatched) registry.unwatchedExits(threadId);
  } catch {
    // never into the app's exit
  }
}

/** The detectors of the table that run here, after the heartbeat; one that cannot start leaves the others. */
function startDetectors(context: DetectorContext, heartbeat: Detector): Detector[] {
  const detectors: Detector[] = [heartbeat];
  for (const entry of DETECTORS) {
    if ((entry.debugOnly && context.config.mode !== 'debug') || (entry.mainOnly && !isMainThread)) continue;
    try {
      detectors.push(entry.start(context));
    } catch {
      // one detector that cannot start leaves the others running
    }
  }
  return detectors;
}

/** The main thread's last word: each reporter's process-exit step (never into the app's exit). */
function reportersAtProcessExit(config: Config): void {
  for (const name of config.reporters) {
    try {
      REPORTERS[name]?.atProcessExit?.(config);
    } catch {
      // never into the app's exit
    }
  }
}

/** What the agent started in this thread: what the summary and stop() need. */
interface ThreadRun {
  config: Config;
  startedAt: number;
  ownName: string | null;
  outbox: Outbox;
  local: LocalDelivery;
  loopHealth: HealthPublisher;
  block: BlockThreadDetector;
  requests: RequestNaming | null;
  startup: StartupControl;
  detectors: Detector[];
  watchdog: WatchdogLink | null;
}

/** At exit: the detectors' last words, then the thread's summary, its last finding. */
function writeSummary(run: ThreadRun): void {
  const { config, outbox, block } = run;
  run.startup.exit();
  for (const d of run.detectors) d.atExit();
  const summary = buildSummary({
    threadId, threadName: run.ownName, startedAt: run.startedAt, endedAt: now(), mode: config.mode, detectors: run.detectors,
    startupBlockMs: block.startupBlockMs(), worstBlockMs: block.worstMs(), life: run.loopHealth.lifetime(), dropped: outbox.dropped(),
  });
  outbox.close(summary);
  run.local.deliverLast(summary);
  if (isMainThread) {
    removeExportedMaps();
    reportersAtProcessExit(config);
  }
}

function stopThread(run: ThreadRun): void {
  for (const d of run.detectors) d.stop();
  run.requests?.stop();
  run.startup.stop();
  run.local.close();
  run.watchdog?.stop();
}

export function startAgent(config: Config): Agent | null {
  if (current) return current;
  if (config.mode === 'off' || isWatchdogThread()) return null;
  const startedAt = now();
  // The files every thread of the process shares (the report, the exported maps' directory): decided
  // here, before any worker or the watchdog starts, so that they inherit them.
  processFiles();
  if (isMainThread) config = checkReportDir(config);
  // A worker the app named: every finding made in it says so.
  const ownName = threadIdentity().name;
  const intervalMs = heartbeatMs(config.slowMs);
  const native = config.engine === 'inspector' ? null : loadNativeStackTrace();

  // Before any detector wraps an API: errors thrown through the wrappers show none of the agent's frames.
  hideAgentFramesFromStacks();
  const { registry, slot, watched } = takeSlot(config.maxThreads);
  slot.writeName(ownName ?? undefined);
  const health = healthReader(watched?.registry ?? null, config.slowMs);
  const unwatched = () => readUnwatched(registry);
  const outbox = openOutbox({ config, watched, isMain: isMainThread, health });
  const local = openLocalDelivery(config, isMainThread, health);
  // Findings made in this thread: to its own reporters and the hub, and to this thread's subscribers
  // (and, in the main thread, its `main` reporters; the other threads' reach them through the hub).
  const emit = (f: Finding) => {
    if (ownName) f.threadName = ownName;
    outbox.send(f);
    local.deliver(f);
  };

  const loopHealth = startHealthPublisher(slot, intervalMs);
  // The request behind a block: where a store costs nothing per callback (AsyncContextFrame, which
  // the native reader reads too), and in debug mode (async hooks run anyway; its probe reads it).
  const framesOn = contextFramesOn();
  const requests = config.request && (framesOn || config.mode === 'debug') ? startRequestNaming() : null;
  const readingStacks = registry ? () => registry.reading() : undefined;
  const block = startBlockDetector(config.slowMs, intervalMs, native, slot, loopHealth.beat, framesOn ? (requests?.store ?? null) : null, readingStacks);
  const startup = startStartupPhase(config);
  const detectors = startDetectors({ config, emit, startup: startup.phase, slot }, block);

  const watchdog = isMainThread && registry ? startWatchdog(config, intervalMs, registry) : null;
  followWorkers(registry);
  // The main thread receives every other thread's findings from the hub once something here wants
  // them: a subscriber, or a reporter of place `main`.
  const forwardFromHub = () => watchdog?.forward(local.deliver);
  if (local.wantsAll) forwardFromHub();

  const run: ThreadRun = { config, startedAt, ownName, outbox, local, loopHealth, block, startup, detectors, watchdog, requests };
  // The summary at exit, with no listener on the app's process (exit-hook.ts says why). No SIGINT/SIGTERM
  // listener either: a JavaScript listener replaces the signal's default action and cannot run while
  // the loop is stuck, so an app in an infinite loop could no longer be stopped with Ctrl-C (and a
  // listener removed from another thread does not bring the default back). A process ended by
  // a signal it does not handle writes no summary; every finding was written when it was made.
  const removeExitHook = atThreadExit(() => {
    writeSummary(run);
    if (registry) leaveRegistry(registry, !watched);
  });

  current = {
    config,
    subscribe(listener) {
      const unsubscribe = local.subscribe(listener);
      forwardFromHub();
      return unsubscribe;
    },
    health: () => [...health(), ...unwatched()],
    stop() {
      removeExitHook();
      stopThread(run);
      // A worker stays in the native stack reader's list while it runs: listed as running unwatched,
      // and it still says it leaves when it exits.
      if (registry && native && !isMainThread) {
        if (watched) registry.listUnwatched(threadId);
        atThreadExit(() => leaveRegistry(registry, true));
      }
      current = null;
    },
  };
  return current;
}
