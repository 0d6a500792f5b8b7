// Loop health of every thread, read from the registry: every app thread publishes its own numbers into
// its slot about once a second (agent/loop-health.ts, no message), and whoever reads the registry (the
// hub in the watchdog, or the main thread) sees every thread's health without asking the thread.
import type { ThreadHealth } from '../thread-health.js';
import type { Registry } from './registry.js';
import { now as wallNow } from '../original.js';

/** Every watched thread's health now, read from the registry (no message, no wait). */
export function readHealth(registry: Registry, slowMs: number): ThreadHealth[] {
  const out: ThreadHealth[] = [];
  const now = wallNow();
  for (let i = 0, n = registry.slotsUsed(); i < n; i++) {
    const health = registry.slot(i).readHealth(now, slowMs);
    if (health) out.push(health);
  }
  return out.sort((a, b) => a.threadId - b.threadId);
}

/** What a reporter's `health` and the agent's health() call: made once per thread, not per caller. */
export function healthReader(registry: Registry | null, slowMs: number): () => ThreadHealth[] {
  return registry ? () => readHealth(registry, slowMs) : () => [];
}

/**
 * The threads the agent runs in but cannot watch (past the thread limit): `watched: false`, no numbers.
 * For the API's health() only: a reporter's health is the watched threads' numbers.
 */
export function readUnwatched(registry: Registry | null): ThreadHealth[] {
  if (!registry) return [];
  const pid = process.pid;
  const none = { min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
  return registry.unwatchedThreads().map((threadId) => ({
    pid, threadId, watched: false, time: 0, delay: { ...none }, elu: 0, activeMs: 0, idleMs: 0, blockedMs: 0, blocks: 0, exited: false,
  }));
}
