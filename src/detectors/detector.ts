import type { Config } from '../config.js';
import type { Finding } from '../finding.js';

export interface DetectorContext {
  config: Config;
  /** Report a finding made in this thread. */
  emit(finding: Finding): void;
}

/** One detector per file, each the in-thread half of one kind of finding. */
export interface Detector {
  readonly name: string;
  /** Counts of findings this detector made in this thread, for the summary. */
  counts(): Partial<Record<Finding['kind'], number>>;
  /** Called at exit, synchronously, before the summary is written. */
  atExit(): void;
  stop(): void;
}
