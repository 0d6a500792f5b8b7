// `asyncdebug/api` (import or require): start and stop the agent from code, and subscribe to its findings.
import { readConfig, warnFromMainThread, warnOnStderr, type Config } from './config.js';
import { agentModule } from './agent-module.js';
import type { FindingListener } from './agent/thread-agent.js';

export type { Config, Mode, ReporterName } from './config.js';
export type { BlockFinding, Finding, FindingKind, Frame, SummaryFinding } from './finding.js';
export type { FindingListener } from './agent/thread-agent.js';
export type { LoopDelay, ThreadHealth } from './thread-health.js';

// The one agent module of this thread (see agent-module.ts), whichever entry loaded it first.
const agent = agentModule();

/** Runs fn with the sync-I/O detector's strict mode and findings off for the calls inside it. */
export const allowSync: typeof agent.allowSync = agent.allowSync;
/** What a sync API throws in strict mode (ASYNC_DEBUG_STRICT=1). */
export const SyncIOError: typeof agent.SyncIOError = agent.SyncIOError;
export type SyncIOError = InstanceType<typeof agent.SyncIOError>;

/**
 * Starts the agent in this thread (idempotent). Options override the environment's variables one by one
 * and mean what those mean (a reportDir turns on json, an otel exporter the otel reporter); a mode of
 * 'off' starts nothing. Returns true when an agent is running afterwards.
 */
export function start(options: Partial<Config> = {}): boolean {
  // Already running (preloaded, or started through the other module format): one agent per thread.
  if (agent.currentAgent()) return true;
  const config = readConfig(process.env, warnFromMainThread, options);
  try {
    return agent.startAgent(config) !== null;
  } catch (err) {
    warnOnStderr(`the agent could not start (${(err as Error).message}); the app runs without it`);
    return false;
  }
}

/** Stops the agent in this thread: no more heartbeats, no watchdog, no summary. */
export function stop(): void {
  agent.currentAgent()?.stop();
}

export function isRunning(): boolean {
  return agent.currentAgent() !== null;
}

const noop = () => {};

/**
 * The loop health of every thread of this process the agent watches (delay and utilization over the
 * last second, blocked right now and for how long), read from shared memory: no message, no wait.
 * An empty array when no agent runs in this thread.
 */
export function health(): import('./thread-health.js').ThreadHealth[] {
  try {
    return agent.currentAgent()?.health() ?? [];
  } catch {
    return [];
  }
}

/**
 * Calls the listener with every finding of this process, from every thread, when called in the main
 * thread (in a worker: that worker's own findings). Findings made elsewhere (blocks, found by the
 * watchdog; other threads' findings) reach the listener when this thread's loop turns again. Returns an unsubscribe function. Subscribing
 * keeps nothing alive. When no agent runs in this thread (ASYNC_DEBUG=0, `asyncdebug/auto` in
 * default mode, never started, or stopped), it does nothing, silently, and returns a no-op function:
 * code that subscribes works the same with the agent off. `isRunning()` tells which.
 */
export function subscribe(listener: FindingListener): () => void {
  try {
    return agent.currentAgent()?.subscribe(listener) ?? noop;
  } catch {
    return noop;
  }
}
