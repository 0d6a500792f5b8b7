// The thread's summary: its last finding, written at exit from what every detector counted and from the
// loop's health over the thread's whole life.
import type { Mode } from '../config.js';
import { makeFinding, type SummaryFinding } from '../finding.js';
import type { Detector } from '../detectors/detector.js';

export interface SummaryInput {
  threadId: number;
  /** The `name` the app gave the Worker, if any. */
  threadName: string | null;
  startedAt: number;
  endedAt: number;
  mode: Mode;
  /** Every detector of the thread, the heartbeat (block) first; their atExit() has run. */
  detectors: readonly Detector[];
  /** From the heartbeat: ms start-up blocked the loop, and the longest block. */
  startupBlockMs: number;
  worstBlockMs: number;
  /** Loop delay percentiles and utilization over the thread's whole life (agent/loop-health.ts). */
  life: { p50: number; p99: number; max: number; elu: number };
  /** Findings that did not fit in the thread's ring. */
  dropped: number;
}

export function buildSummary(input: SummaryInput): SummaryFinding {
  const { threadId, threadName, life, dropped } = input;
  const counts: SummaryFinding['counts'] = {};
  const extra: Partial<SummaryFinding> = {};
  for (const d of input.detectors) {
    Object.assign(counts, d.counts());
    Object.assign(extra, d.summary?.());
  }
  const who = threadId === 0 ? 'Main thread' : `Worker thread ${threadId}${threadName ? ` ${JSON.stringify(threadName)}` : ''}`;
  const summary = makeFinding<SummaryFinding>('summary', {
    id: `summary-${threadId}`,
    threadId,
    time: input.startedAt,
    message: `${who} ran ${input.endedAt - input.startedAt} ms with ${counts.block ?? 0} block(s); start-up blocked the loop ${input.startupBlockMs} ms.`,
    site: null,
    frames: [],
    loopDelay: { p50: life.p50, p99: life.p99, max: Math.max(life.max, input.worstBlockMs) },
    elu: life.elu,
    counts,
    // Defaults, which the heartbeat's own summary fields replace.
    startupBlockMs: 0,
    unnamedBlocks: 0,
    unnamedBlockMs: 0,
    exitIdleMs: 0,
    starvedMs: 0,
    starvedGaps: 0,
    mode: input.mode === 'debug' ? 'debug' : 'default',
    ...extra,
    ...(dropped > 0 ? { droppedFindings: dropped } : {}),
  });
  if (threadName) summary.threadName = threadName;
  return summary;
}
