// The periodic `health` line of the JSON Lines report (docs/report-format.md): one thread's loop health
// over its last window (about a second), written by the watchdog from what every thread publishes into
// shared memory (reporters/health-lines.ts). Not a finding: the commands' tables and gates skip it.
import type { CONTRACT_VERSION, Frame } from './finding.js';

export const HEALTH_KIND = 'health';

export interface HealthRecord {
  v: typeof CONTRACT_VERSION;
  /** `health-<threadId>-<n>`, n counting the process's health lines: unique within the process; never superseded. */
  id: string;
  kind: typeof HEALTH_KIND;
  /** Epoch ms the thread took these numbers: the end of the window they describe. */
  time: number;
  pid: number;
  threadId: number;
  threadName?: string;
  message: string;
  site: null;
  frames: Frame[];
  /** Loop delay over the window, ms: how late the agent's heartbeat timer ran (max: the longest gap). */
  loopDelay: { p50: number; p99: number; max: number };
  /** Event-loop utilization over the window, 0..1. */
  elu: number;
}

/** Whether a report line is a health record (readers of findings skip it). */
export function isHealthLine(line: { kind: unknown }): boolean {
  return line.kind === HEALTH_KIND;
}
