// The watchdog worker: one per process, started by the main thread's agent. It watches the loops of
// every registered thread and writes block findings itself, because a blocked thread cannot.
import { BroadcastChannel, workerData } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import { createBlockWatcher } from '../detectors/block/watchdog.js';
import { FINDINGS_CHANNEL, REGISTER_CHANNEL, type RegisterMessage } from '../detectors/block/common.js';
import { createReporters } from '../reporters/create.js';
import type { Reporter } from '../reporters/reporter.js';
import type { StackEngine } from '../stack/engine.js';
import { loadNativeStackTrace } from '../stack/native-binding.js';
import { createNativeEngine } from '../stack/native-engine.js';
import { createInspectorEngine } from '../stack/inspector-engine.js';

export interface WatchdogData {
  config: Config;
  intervalMs: number;
  mainSlot: SharedArrayBuffer;
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
const findings = new BroadcastChannel(FINDINGS_CHANNEL);

function emit(finding: Finding): void {
  report(finding);
  try {
    findings.postMessage(finding);
  } catch {
    // no subscriber can read it; the reporters already have it
  }
}

const watcher = createBlockWatcher({ slowMs: data.config.slowMs, intervalMs: data.intervalMs, engine, emit });
watcher.watch(0, data.mainSlot);

const registrations = new BroadcastChannel(REGISTER_CHANNEL);
registrations.onmessage = (event) => {
  const msg = (event as { data: RegisterMessage }).data;
  if (msg.type === 'register') watcher.watch(msg.threadId, msg.sab);
  else if (msg.type === 'unregister') watcher.unwatch(msg.threadId);
};
// Threads that started before this worker listened hear this and register again.
registrations.postMessage({ type: 'hello' } satisfies RegisterMessage);

setInterval(() => void watcher.tick(), data.intervalMs);
