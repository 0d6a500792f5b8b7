// `asyncdebug/api`: start and stop the agent from code, and subscribe to its findings.
import { readConfig, warnOnStderr, type Config } from './config.js';
import { currentAgent, startAgent, type FindingListener } from './agent/thread-agent.js';

export type { Config, Mode, ReporterName } from './config.js';
export type { BlockFinding, Finding, FindingKind, Frame, SummaryFinding } from './finding.js';
export type { FindingListener } from './agent/thread-agent.js';
export { allowSync, SyncIOError } from './agent/thread-agent.js';

/**
 * Starts the agent in this thread (idempotent). Options override the environment; a mode of 'off'
 * starts nothing. Returns true when an agent is running afterwards.
 */
export function start(options: Partial<Config> = {}): boolean {
  const config = { ...readConfig(), ...options };
  if (options.reportDir && !options.reporters) config.reporters = [...new Set([...config.reporters, 'json' as const])];
  try {
    return startAgent(config) !== null;
  } catch (err) {
    warnOnStderr(`the agent could not start (${(err as Error).message}); the app runs without it`);
    return false;
  }
}

/** Stops the agent in this thread: no more heartbeats, no watchdog, no summary. */
export function stop(): void {
  currentAgent()?.stop();
}

export function isRunning(): boolean {
  return currentAgent() !== null;
}

/**
 * Calls the listener with every finding of this process (blocks are found by the watchdog and reach
 * the listener when this thread's loop turns again). Returns an unsubscribe function.
 */
export function subscribe(listener: FindingListener): () => void {
  const agent = currentAgent();
  if (!agent) throw new Error('asyncdebug: the agent is not running in this thread; call start() first or preload asyncdebug');
  return agent.subscribe(listener);
}
