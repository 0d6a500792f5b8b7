// Waking resting threads (detectors/block/heartbeat.ts) before the native reader reads every stack: it
// interrupts every thread it lists and waits for each to answer, and a thread asleep in its loop's
// poll answers only when it next runs JavaScript (a resting thread: within a second). The wake-up itself
// is the slot's (protocol/thread-slot.ts requestWake: Atomics.notify on the thread's Atomics.waitAsync).
import type { Registry } from './registry.js';

export function wakeResting(registry: Registry): void {
  for (let i = 0, n = registry.slotsUsed(); i < n; i++) {
    const slot = registry.slot(i);
    if (slot.owner() >= 0 && slot.resting() && !slot.exited()) slot.requestWake();
  }
}
