// The watchdog worker: one per process, started by the main thread's agent. It runs the watchdog
// halves of the detectors (the block watcher reads every registered thread's loop, and writes block
// findings itself, because a blocked thread cannot) and the findings hub (watchdog/hub.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { warnOnStderr, type Config } from '../config.js';
import type { Finding } from '../finding.js';
import { startHub } from './hub.js';
import { healthReader } from '../protocol/health.js';
import { Registry } from '../protocol/registry.js';
import { wakeResting } from '../protocol/wake.js';
import { bundleReporter, reportersAt } from '../reporters/load-reporters.js';
import { createConsoleOnDemand } from './console-on-demand.js';
import type { StackEngine } from '../stack/engine.js';
import { loadNativeStackTrace } from '../stack/native-binding.js';
import { createNativeEngine } from '../stack/native-engine.js';
import { createInspectorEngine } from '../stack/inspector-engine.js';
import { WATCHDOG_HALVES, type WatchdogHalf } from '../detectors/watchdog-halves.js';
import { startRestSentinel } from '../detectors/block/rest-sentinel.js';
import { restPollMs } from '../detectors/block/block-watcher.js';

export interface WatchdogData {
  config: Config;
  intervalMs: number;
  /** The registry of thread slots (protocol/registry.ts). */
  registry: SharedArrayBuffer;
}

function chooseEngine(config: Config, registry: Registry): StackEngine | null {
  if (config.engine !== 'inspector') {
    const native = loadNativeStackTrace();
    if (native) return createNativeEngine(native, { registry, freshMs: intervalMs, beforeRead: () => wakeResting(registry) });
  }
  return config.engine === 'native' ? null : createInspectorEngine();
}

const data = workerData as WatchdogData;
const { config, intervalMs } = data;
const registry = new Registry(data.registry);
const health = healthReader(registry, config.slowMs);
const engine = chooseEngine(config, registry);
/** Set once the ticks are planned (below): a thread that claimed a slot asks for a tick through the hub. */
let wakeOnHub = (): void => {};
// The console reporter is part of this bundle (scripts/bundle-cjs.mjs), chalk included: made at its first
// finding (console-on-demand.ts). @babel/code-frame loads at the first block it shows (code-frame.ts).
// Other reporters of the hub (tui, otel) load their modules after the watcher runs: on a loaded machine
// every ms of boot is a block the watchdog might miss. Findings made before they are ready wait for them.
bundleReporter('console', createConsoleOnDemand);
// The findings made here (blocks) are written here too (json).
const own = reportersAt('thread', config, { warn: warnOnStderr, health });
const hub = startHub({
  config,
  registry,
  health,
  toMain(finding) {
    try {
      parentPort?.postMessage(finding);
    } catch {
      // the reporters already have it
    }
  },
  // The json reporter here writes the periodic `health` lines (reporters/health-lines.ts).
  onHealth: (threads) => own.health(threads),
  onNudge: () => wakeOnHub(),
});
// Findings go to the main thread only once it asked (in the registry, set by subscribe() or a reporter
// of place `main`); nothing comes the other way.
parentPort?.unref();

function emit(finding: Finding): void {
  own.report(finding);
  hub.emit(finding);
}

// The rest sentinel asks for a tick when a resting thread ran; a thread that claims a slot wakes the hub,
// which asks for one too (the watchdog of an idle process otherwise sleeps: block-watcher.ts).
const restSentinel = startRestSentinel(() => kick(), restPollMs(config.slowMs, intervalMs));
const halves: WatchdogHalf[] = WATCHDOG_HALVES.map((h) => h.start({ config, registry: data.registry, intervalMs, engine, emit, canRelease: hub.drained, restSentinel }));
// Each tick is planned by the halves (a healthy process wakes the watchdog a few times per threshold,
// not at every heartbeat); a tick still reading a stack is waited for, as it was skipped before.
let timer: ReturnType<typeof setTimeout> | undefined;
let ticking = false;
let kicked = false;
const tick = async (): Promise<void> => {
  ticking = true;
  kicked = false;
  let delay = Infinity;
  for (const h of halves) {
    try {
      delay = Math.min(delay, await h.tick());
    } catch {
      delay = Math.min(delay, intervalMs);
    }
  }
  ticking = false;
  timer = setTimeout(tick, kicked ? 0 : Number.isFinite(delay) ? Math.max(1, delay) : intervalMs);
};
/** A tick now (or right after the one running). */
function kick(): void {
  if (ticking) {
    kicked = true;
    return;
  }
  clearTimeout(timer);
  void tick();
}
wakeOnHub = kick;
timer = setTimeout(tick, intervalMs);
// A tick waiting on a stack read has no timer pending (the inspector's own timeout is unref'd): this one
// keeps the watchdog's loop alive meanwhile. It holds nothing else: the main thread unrefs this worker.
setInterval(() => {}, 2 ** 30);
