// The watchdog halves of the detectors: what runs in the watchdog worker, next to the hub, ticked when
// the halves ask for it. A new detector with a watchdog half adds a file and one line here.
import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import { createBlockWatcher } from './block/block-watcher.js';
import { createProbe } from './scheduling/callback-probe.js';
import type { StackEngine } from '../stack/engine.js';
import type { ThreadSlot } from '../protocol/thread-slot.js';
import type { RestSentinel } from './block/rest-sentinel.js';

export interface WatchdogContext {
  config: Config;
  /** The registry of thread slots (protocol/registry.ts), as shared memory. */
  registry: SharedArrayBuffer;
  intervalMs: number;
  engine: StackEngine | null;
  /** A finding made here: to the watchdog's own reporters (json) and the hub. */
  emit(finding: Finding): void;
  /** Whether an exited thread's slot may be given back (its findings drained by the hub). */
  canRelease(slot: ThreadSlot): boolean;
  /** Watches resting threads natively and asks for a tick when one ran (null: not on this platform). */
  restSentinel: RestSentinel | null;
}

export interface WatchdogHalf {
  /** One look; resolves to how long (ms) until the half wants the next one. */
  tick(): number | Promise<number>;
}

export const WATCHDOG_HALVES: { name: string; start(context: WatchdogContext): WatchdogHalf }[] = [
  {
    name: 'block',
    start: ({ config, registry, intervalMs, engine, emit, canRelease, restSentinel }) =>
      createBlockWatcher({
        registry, slowMs: config.slowMs, intervalMs, engine, emit, cpuProfileDir: config.cpuProfileDir, canRelease, restSentinel,
        // Debug mode: the block's callback and where it was scheduled (detectors/scheduling/).
        probe: config.mode === 'debug' ? createProbe() : null,
      }),
  },
];
