// How the watchdog wakes a resting thread (detectors/block/heartbeat.ts): a message on a
// BroadcastChannel of that thread's own name, which only the thread listens to. A message is what
// wakes a loop asleep in its poll; shared memory and Atomics.notify do not.
import { BroadcastChannel } from 'node:worker_threads';
import type { Registry } from './registry.js';

export function wakeChannelName(threadId: number): string {
  return `asyncdebug:wake:${threadId}`;
}

/**
 * The watchdog's side: one message to the thread's channel, from a channel opened for it and closed at
 * once (the message is already queued for the listener), so nothing is kept per thread. A wake-up
 * happens when a resting thread starts to run, not on a schedule.
 */
export function wakeThread(threadId: number): void {
  try {
    const channel = new BroadcastChannel(wakeChannelName(threadId));
    channel.postMessage(0);
    channel.close();
  } catch {
    // the thread then rests on: its own rest beat wakes it once its loop is busy
  }
}

/**
 * Wakes every resting thread before the native reader reads the stacks: it interrupts every thread it
 * lists and waits for each to answer, and a thread asleep in its loop's poll answers only when it next
 * runs JavaScript (a resting thread: within a second).
 */
export function wakeResting(registry: Registry): void {
  for (let i = 0, n = registry.slotsUsed(); i < n; i++) {
    const slot = registry.slot(i);
    const owner = slot.owner();
    if (owner >= 0 && slot.resting() && !slot.exited()) wakeThread(owner);
  }
}
