// The thread's summary, built from what its detectors counted and its loop's lifetime numbers.
import { describe, expect, it } from 'vitest';
import { buildSummary, type SummaryInput } from '../../../src/agent/summary.js';
import type { Detector } from '../../../src/detectors/detector.js';
import type { SummaryFinding } from '../../../src/finding.js';

function detector(name: string, counts: ReturnType<Detector['counts']>, summary?: Partial<SummaryFinding>): Detector {
  return { name, counts: () => counts, ...(summary ? { summary: () => summary } : {}), atExit() {}, stop() {} };
}

const heartbeat = detector('block', { block: 2 }, { startupBlockMs: 40, unnamedBlocks: 1, unnamedBlockMs: 130, exitIdleMs: 6 });

function input(over: Partial<SummaryInput> = {}): SummaryInput {
  return {
    threadId: 0,
    threadName: null,
    startedAt: 1_000,
    endedAt: 3_500,
    mode: 'default',
    detectors: [heartbeat, detector('sync-io', { 'sync-io': 3, 'atomics-wait': 0 }), detector('messages', {})],
    startupBlockMs: 40,
    worstBlockMs: 250,
    life: { p50: 1.2, p99: 9.5, max: 120, elu: 0.42 },
    dropped: 0,
    ...over,
  };
}

describe('summary', () => {
  it('gathers every detector\'s counts and the heartbeat\'s numbers', () => {
    const s = buildSummary(input());
    expect(s).toMatchObject({
      v: 1, kind: 'summary', id: 'summary-0', time: 1_000, pid: process.pid, threadId: 0, site: null, frames: [],
      message: 'Main thread ran 2500 ms with 2 block(s); start-up blocked the loop 40 ms.',
      counts: { block: 2, 'sync-io': 3, 'atomics-wait': 0 },
      startupBlockMs: 40, unnamedBlocks: 1, unnamedBlockMs: 130, exitIdleMs: 6, mode: 'default', elu: 0.42,
    });
    // The worst block counts in the loop's worst delay (the heartbeat could not measure it, it was blocked).
    expect(s.loopDelay).toEqual({ p50: 1.2, p99: 9.5, max: 250 });
    expect(s).not.toHaveProperty('droppedFindings');
    expect(s).not.toHaveProperty('threadName');
  });

  it('names a worker, says what it dropped, and keeps the mode', () => {
    const s = buildSummary(input({ threadId: 3, threadName: 'cruncher', mode: 'debug', dropped: 5, worstBlockMs: 0, detectors: [detector('block', {})] }));
    expect(s.message).toBe('Worker thread 3 "cruncher" ran 2500 ms with 0 block(s); start-up blocked the loop 40 ms.');
    expect(s).toMatchObject({ id: 'summary-3', threadId: 3, threadName: 'cruncher', mode: 'debug', droppedFindings: 5, counts: {} });
    expect(s.loopDelay.max).toBe(120);
    // Without the heartbeat's own fields, the defaults.
    expect(s).toMatchObject({ startupBlockMs: 0, unnamedBlocks: 0, unnamedBlockMs: 0, exitIdleMs: 0 });
  });

  it('writes its fields in the order of the report (the JSON line is unchanged)', () => {
    const keys = Object.keys(buildSummary(input({ threadName: 'main', dropped: 1 })));
    expect(keys).toEqual(['v', 'id', 'kind', 'time', 'pid', 'threadId', 'message', 'site', 'frames', 'loopDelay', 'elu', 'counts', 'startupBlockMs', 'unnamedBlocks', 'unnamedBlockMs', 'exitIdleMs', 'starvedMs', 'starvedGaps', 'mode', 'droppedFindings', 'threadName']);
  });
});
