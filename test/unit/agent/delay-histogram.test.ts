import { describe, expect, it } from 'vitest';
import { DelayHistogram } from '../../../src/agent/delay-histogram.js';

describe('DelayHistogram (loop delays in ms)', () => {
  it('gives percentiles within its 3 % resolution, and exact min, max and mean', () => {
    const h = new DelayHistogram();
    for (let v = 1; v <= 1000; v++) h.record(v);
    expect(h.count).toBe(1000);
    expect(h.min).toBe(1);
    expect(h.max).toBe(1000);
    expect(h.mean).toBeCloseTo(500.5, 6);
    for (const [p, want] of [[50, 500], [90, 900], [99, 990]] as const) {
      expect(Math.abs(h.percentile(p) - want) / want, `p${p}`).toBeLessThan(0.03);
    }
    expect(h.percentile(100)).toBe(1000);
  });

  it('keeps sub-millisecond delays apart and counts a timer that ran early as 0', () => {
    const h = new DelayHistogram();
    for (let i = 0; i < 90; i++) h.record(0.2);
    for (let i = 0; i < 10; i++) h.record(-3);
    expect(h.min).toBe(0);
    expect(h.percentile(50)).toBeGreaterThan(0.15);
    expect(h.percentile(50)).toBeLessThan(0.25);
    expect(h.percentile(5)).toBeLessThan(0.05);
  });

  it('adds a window into a total and resets the window', () => {
    const total = new DelayHistogram();
    const window = new DelayHistogram();
    window.record(10);
    window.record(30);
    total.add(window);
    window.reset();
    expect(window.count).toBe(0);
    expect(window.percentile(50)).toBe(0);
    window.record(5000);
    total.add(window);
    expect(total.count).toBe(3);
    expect(total.min).toBe(10);
    expect(total.max).toBe(5000);
    expect(total.percentile(99)).toBe(5000);
    expect(Math.abs(total.percentile(50) - 30) / 30).toBeLessThan(0.03);
  });

  it('clamps delays past its last bucket (hours) to that bucket, and keeps the exact max', () => {
    const h = new DelayHistogram();
    h.record(2 ** 30);
    expect(h.max).toBe(2 ** 30);
    expect(h.percentile(50)).toBe(2 ** 30);
  });
});
