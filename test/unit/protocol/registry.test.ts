// The registry of thread slots: claims from the first free slot, the count of slots readers scan, and
// the process-wide numbers (the hub's state, findings for the main thread, the hub's wake-ups), on a
// real SharedArrayBuffer seen through two Registry objects as two threads see it.
import { describe, expect, it } from 'vitest';
import { HubState, MAX_THREADS, Registry, newRegistryBuffer } from '../../../src/protocol/registry.js';

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

  it('holds room for a few slots at first and grows as threads claim them; another view of it sees the new slots', () => {
    const registry = new Registry();
    const other = new Registry(registry.buffer);
    const first = registry.buffer.byteLength;
    expect(registry.capacity()).toBeLessThan(MAX_THREADS);
    const many = registry.capacity() * 2 + 3;
    for (let i = 0; i < many; i++) expect(registry.claim(100 + i)).not.toBeNull();
    expect(registry.buffer.byteLength).toBeGreaterThan(first);
    expect(other.capacity()).toBeGreaterThanOrEqual(many);
    expect(other.slot(many - 1).owner()).toBe(100 + many - 1);
  });

  it('runs out after MAX_THREADS slots', () => {
    const registry = new Registry();
    for (let i = 0; i < MAX_THREADS; i++) expect(registry.claim(i)).not.toBeNull();
    expect(registry.claim(MAX_THREADS)).toBeNull();
    expect(registry.slotsUsed()).toBe(MAX_THREADS);
  });

  it('threads that found no slot are listed while they run and counted ever; the first one is told to say so', () => {
    const registry = new Registry();
    const seen = new Registry(registry.buffer);
    expect(registry.noteUnwatched(1500)).toBe(true);
    expect(registry.noteUnwatched(1501)).toBe(false);
    expect(seen.unwatchedThreads()).toEqual([1500, 1501]);
    registry.unwatchedExits(1500);
    expect(seen.unwatchedThreads()).toEqual([1501]);
    expect(seen.unwatchedCount()).toBe(2);
  });

  it('a registry for fewer threads (ASYNC_DEBUG_MAX_THREADS) runs out at that many', () => {
    const registry = new Registry(newRegistryBuffer(3));
    expect(registry.maxSlots).toBe(3);
    for (let i = 0; i < 3; i++) expect(registry.claim(i)).not.toBeNull();
    expect(registry.claim(3)).toBeNull();
  });

  it('the running threads: a slot not left, or listed unwatched; not an exited thread nor a slot given back', () => {
    const registry = new Registry();
    registry.claim(0);
    registry.claim(2)!.markExited();
    registry.claim(3)!.release();
    registry.noteUnwatched(9);
    expect([...new Registry(registry.buffer).runningThreads()].sort()).toEqual([0, 9]);
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

describe('registry: stack reads while threads leave', () => {
  it('a thread that leaves is no longer running, until the reader no longer lists it', () => {
    const registry = new Registry();
    registry.claim(0);
    registry.claim(5);
    registry.leave(5, 0);
    const other = new Registry(registry.buffer);
    expect([...other.runningThreads()]).toEqual([0]);
    expect(other.leavingThreads()).toEqual([5]);
    other.leaveDone(5);
    expect(registry.leavingThreads()).toEqual([]);
  });

  it('a read begins only while the main thread runs and the reader\'s own check says so, which sees the read begun', () => {
    const registry = new Registry();
    let seenReading = false;
    expect(registry.beginRead(() => ((seenReading = true), false))).toBe(false);
    expect(seenReading).toBe(true);
    expect(registry.beginRead(() => true)).toBe(true);
    registry.endRead();
    registry.close(0);
    expect(registry.beginRead(() => true)).toBe(false);
  });

  it('a thread that leaves while a read is on waits for it (at most the time given), and not once it is over', () => {
    const registry = new Registry();
    expect(registry.beginRead(() => true)).toBe(true);
    const t0 = Date.now();
    registry.leave(7, 40);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(35);
    registry.endRead();
    registry.leave(8, 60_000); // no read on: returns
    expect(registry.leavingThreads()).toEqual([7, 8]);
  });
});

