// The registry of thread slots: claims from the first free slot, the count of slots readers scan, and
// the process-wide numbers (the hub's state, findings for the main thread, the hub's wake-ups), on a
// real SharedArrayBuffer seen through two Registry objects as two threads see it.
import { describe, expect, it } from 'vitest';
import { HubState, MAX_THREADS, Registry } from '../../../src/protocol/registry.js';

describe('registry: slots', () => {
  it('claims the first free slot for its thread, and readers loop only over the slots ever used', () => {
    const registry = new Registry();
    expect(registry.slotsUsed()).toBe(0);
    const a = registry.claim(0);
    const b = registry.claim(4);
    expect(a?.owner()).toBe(0);
    expect(b?.owner()).toBe(4);
    expect(registry.slotsUsed()).toBe(2);
    expect(new Registry(registry.buffer).slot(1).owner()).toBe(4);
  });

  it('runs out after MAX_THREADS slots', () => {
    const registry = new Registry();
    for (let i = 0; i < MAX_THREADS; i++) expect(registry.claim(i)).not.toBeNull();
    expect(registry.claim(MAX_THREADS)).toBeNull();
    expect(registry.slotsUsed()).toBe(MAX_THREADS);
  });
});

describe('registry: the hub state', () => {
  it('the hub comes up unless the main thread gave up on it first', () => {
    const up = new Registry();
    expect(up.hubState()).toBe(HubState.starting);
    expect(new Registry(up.buffer).bringHubUp()).toBe(true);
    expect(up.giveUpOnHub()).toBe(false);
    expect(up.hubState()).toBe(HubState.up);

    const late = new Registry();
    expect(late.giveUpOnHub()).toBe(true);
    expect(new Registry(late.buffer).bringHubUp()).toBe(false);
    expect(late.hubState()).toBe(HubState.gone);
  });

  it('the main thread asks for every finding through shared memory, and each ring write wakes the hub', async () => {
    const registry = new Registry();
    const hub = new Registry(registry.buffer);
    expect(hub.findingsWantedInMain()).toBe(false);
    registry.sendFindingsToMain();
    expect(hub.findingsWantedInMain()).toBe(true);
    const waited = hub.waitForWake(hub.wakes());
    expect(waited.async).toBe(true);
    registry.wakeHub();
    await expect(waited.value).resolves.toBe('ok');
    expect(hub.wakes()).toBe(1);
  });
});
