// The contract's judgement of a block line: whether it is a block (what the gate, the console and the OpenTelemetry counters count).
import { describe, expect, it } from 'vitest';
import { metThreshold } from '../../src/finding.js';

describe('a block line met its threshold', () => {
  it('by its duration and, where the split is known, by the thread\'s own time (on a CPU or asleep)', () => {
    expect(metThreshold({ durationMs: 150, thresholdMs: 100 })).toBe(true);
    expect(metThreshold({ durationMs: 28, thresholdMs: 100 })).toBe(false);
    expect(metThreshold({ durationMs: 150, thresholdMs: 100, cpuMs: 60, sleepMs: 0 })).toBe(false);
    expect(metThreshold({ durationMs: 150, thresholdMs: 100, cpuMs: 60, sleepMs: 40 })).toBe(true);
  });

  it('a line that does not say its threshold (an older report, a foreign one) counts as before', () => {
    expect(metThreshold({ durationMs: 28 })).toBe(true);
    expect(metThreshold({ durationMs: 28, thresholdMs: '100' })).toBe(true);
  });
});
