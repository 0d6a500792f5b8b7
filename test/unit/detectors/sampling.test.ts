// The one sampling rule of the per-call wrappers (sync-io, threadpool).
import { describe, expect, it } from 'vitest';
import { isSampled } from '../../../src/detectors/sampling.js';

describe('isSampled', () => {
  it('reads every call of a rarely called API, then fewer and fewer', () => {
    for (let n = 1; n <= 16; n++) expect(isSampled(n, false), String(n)).toBe(true);
    for (let n = 17; n < 32; n++) expect(isSampled(n, false), String(n)).toBe(false);
    expect([32, 33, 1023, 1024, 1025, 2048, 3072, 3073].map((n) => isSampled(n, false))).toEqual([true, false, false, true, false, true, true, false]);
  });

  it('a million calls cost about a thousand reads, and a gap between reads is never over 1024 calls', () => {
    let reads = 0;
    let last = 0;
    let widest = 0;
    for (let n = 1; n <= 1_000_000; n++) {
      if (!isSampled(n, false)) continue;
      reads++;
      widest = Math.max(widest, n - last);
      last = n;
    }
    expect(reads).toBe(16 + 5 + 976); // 1..16; 32, 64 … 512; every 1024th up to 999424
    expect(widest).toBe(1024);
  });

  it('with `every` (strict mode) every call is read', () => {
    expect([17, 1000, 123_457].every((n) => isSampled(n, true))).toBe(true);
  });
});
