// The watchdog worker: one per process, started by the main thread's agent. It watches the loops of
// every registered thread and writes block findings itself, because a blocked thread cannot.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import { createBlockWatcher } from '../detectors/block/watchdog.js';
import { createReporters } from '../reporters/create.js';
import type { Reporter } from '../reporters/reporter.js';
import type { StackEngine } from '../stack/engine.js';
import { loadNativeStackTrace } from '../stack/native-binding.js';
import { createNativeEngine } from '../stack/native-engine.js';
import { createInspectorEngine } from '../stack/inspector-engine.js';

export interface WatchdogData {
  config: Config;
  intervalMs: number;
  /** The registry of thread slots (detectors/block/common.ts). */
  registry: SharedArrayBuffer;
}

function chooseEngine(config: Config): StackEngine | null {
  if (config.engine !== 'inspector') {
    const native = loadNativeStackTrace();
    if (native) return createNativeEngine(native);
  }
  return config.engine === 'native' ? null : createInspectorEngine();
}

const data = workerData as WatchdogData;
const engine = chooseEngine(data.config);
// The console reporter (chalk) loads after the watcher runs: on a loaded machine every ms of boot
// is a block the watchdog might miss. Findings made before it is ready wait for it.
let consoleReporter: Reporter | null = null;
const waiting: Finding[] = [];
const deferredConsole: Reporter = {
  report(f) {
    if (consoleReporter) consoleReporter.report(f);
    else waiting.push(f);
  },
};
const report = createReporters(data.config, () => deferredConsole);
if (data.config.reporters.includes('console')) {
  void import('../reporters/console.js').then(({ createConsoleReporter }) => {
    consoleReporter = createConsoleReporter();
    for (const f of waiting.splice(0)) consoleReporter.report(f);
  }).catch(() => {});
}
// Findings go to the main thread only once asyncdebug/api's subscribe() asked for them.
let forward = false;
parentPort?.on('message', (msg: unknown) => {
  if (msg === 'subscribe') forward = true;
});
parentPort?.unref();

function emit(finding: Finding): void {
  report(finding);
  if (!forward) return;
  try {
    parentPort?.postMessage(finding);
  } catch {
    // the reporters already have it
  }
}

const watcher = createBlockWatcher({ registry: data.registry, slowMs: data.config.slowMs, intervalMs: data.intervalMs, engine, emit, cpuProfileDir: data.config.cpuProfileDir });
setInterval(() => void watcher.tick(), data.intervalMs);
