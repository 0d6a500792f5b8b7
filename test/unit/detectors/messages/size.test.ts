import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { estimateBytes, quickBytes, quickWasFlat } from '../../../../src/detectors/messages/size.js';

const graph = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] }));

describe('message size estimates', () => {
  it('come within a factor of two of what the clone writes, also for a graph sampled, not walked', () => {
    for (const value of [graph(100), graph(200_000), { frame: new Uint8Array(1 << 20) }, new Map([[1, 'x'.repeat(5000)]]), 'y'.repeat(100_000)]) {
      const actual = serialize(value).length;
      const { bytes } = estimateBytes(value, null);
      expect(bytes, JSON.stringify({ actual, bytes })).toBeGreaterThan(actual / 2);
      expect(bytes, JSON.stringify({ actual, bytes })).toBeLessThan(actual * 2);
    }
  });

  it('a transferred or shared buffer is not counted', () => {
    const buffer = new ArrayBuffer(1 << 20);
    expect(estimateBytes({ frame: new Uint8Array(buffer) }, [buffer]).bytes).toBeLessThan(100);
    expect(quickBytes({ frame: new Uint8Array(buffer) }, [buffer])).toBe(0);
    expect(quickBytes(new SharedArrayBuffer(1 << 20), null)).toBe(0);
  });

  it('the quick look knows when it saw the whole message', () => {
    expect(quickBytes({ i: 1, text: 'hello' }, null)).toBe(5);
    expect(quickWasFlat).toBe(true);
    expect(quickBytes({ i: 1, nested: { a: 1 } }, null)).toBe(0);
    expect(quickWasFlat).toBe(false);
    expect(quickBytes(new Date(), null)).toBe(0);
    expect(quickWasFlat).toBe(false);
    expect(quickBytes(new Uint8Array(10), null)).toBe(10);
    expect(quickWasFlat).toBe(true);
  });
});
