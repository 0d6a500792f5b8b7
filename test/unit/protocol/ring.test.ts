// The findings ring of one thread slot: in order, across the wrap, never more than fits (the rest is
// dropped and counted), and a reader that hands each finding on before freeing its bytes.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/protocol/registry.js';
import { RING_BYTES, ringDrain, ringDropped, ringPending, ringPush } from '../../../src/protocol/ring.js';

describe('findings ring', () => {
  it('keeps order across many wraps', () => {
    const registry = new Registry();
    const slot = registry.claim(7);
    if (!slot) throw new Error('no slot');
    const seen: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 40; i++) expect(ringPush(slot, registry, { n: next++, pad: 'x'.repeat(300 + ((next * 37) % 500)) })).toBe(true);
      ringDrain(slot, (f) => seen.push((f as { n: number }).n));
    }
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(ringPending(slot)).toBe(false);
    expect(registry.wakes()).toBe(next);
  });

  it('drops what does not fit, counts it, and takes findings again once read', () => {
    const slot = new Registry().claim(1);
    if (!slot) throw new Error('no slot');
    const big = { pad: 'y'.repeat(RING_BYTES / 4) };
    let pushed = 0;
    while (ringPush(slot, null, big)) pushed++;
    expect(pushed).toBe(3);
    expect(ringDropped(slot)).toBe(1);
    expect(ringPush(slot, null, { pad: 'z'.repeat(RING_BYTES) })).toBe(false);
    expect(ringDropped(slot)).toBe(2);
    let read = 0;
    ringDrain(slot, () => {
      // the bytes are freed only after every finding was handed on
      expect(slot.ringRead()).toBe(0);
      read++;
    });
    expect(read).toBe(3);
    expect(ringPush(slot, null, big)).toBe(true);
  });
});
