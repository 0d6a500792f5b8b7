import type { Config } from '../config.js';
import type { Finding, SummaryFinding } from '../finding.js';
import type { StartupPhase } from './startup.js';
import type { ThreadSlot } from '../protocol/thread-slot.js';

export interface DetectorContext {
  config: Config;
  /** Report a finding made in this thread (made with makeFinding, finding.ts). */
  emit(finding: Finding): void;
  /** Whether the app is past start-up (one answer for every detector of the thread). */
  startup: StartupPhase;
  /** This thread's slot in the registry shared with the watchdog (protocol/thread-slot.ts). */
  slot: ThreadSlot;
}

/** One detector per folder, each the in-thread half of one kind of finding (or a few related kinds). */
export interface Detector {
  readonly name: string;
  /** Counts of findings this detector made in this thread, for the summary. */
  counts(): Partial<Record<Finding['kind'], number>>;
  /** Fields of its own for the thread's summary (beyond counts). */
  summary?(): Partial<SummaryFinding>;
  /** Called at exit, synchronously, before the summary is written. */
  atExit(): void;
  stop(): void;
}

/** An entry of the detector list (detectors/detector-list.ts). */
export interface DetectorEntry {
  name: string;
  /** Only in debug mode (ASYNC_DEBUG=1): the detectors whose cost the default mode cannot carry. */
  debugOnly?: boolean;
  /** Only in the main thread. */
  mainOnly?: boolean;
  start(context: DetectorContext): Detector;
}
