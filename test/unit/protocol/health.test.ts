// Every watched thread's health, read from the registry: one entry per owned slot, by thread id.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/protocol/registry.js';
import { healthReader, readHealth } from '../../../src/protocol/health.js';

describe('reading every thread\'s health', () => {
  it('lists every owned slot by thread id, and skips a free one', () => {
    const registry = new Registry();
    registry.claim(3)?.writeName('cruncher');
    registry.claim(1)?.beat();
    registry.claim(2)?.release();
    const health = readHealth(new Registry(registry.buffer), 100);
    expect(health.map((h) => h.threadId)).toEqual([1, 3]);
    expect(health[1]?.threadName).toBe('cruncher');
    expect(health[0]?.threadName).toBeUndefined();
  });

  it('a thread nobody watches reads no health', () => {
    expect(healthReader(null, 100)()).toEqual([]);
    const registry = new Registry();
    registry.claim(0);
    expect(healthReader(registry, 100)().map((h) => h.threadId)).toEqual([0]);
  });
});
