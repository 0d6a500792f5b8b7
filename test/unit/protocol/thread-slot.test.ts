// The typed view of a thread's registry slot: release and reuse, the heartbeat and its gaps (one writer
// per gap), exit, the counters, the map mailbox, the name and the loop health, on a real registry in
// shared memory, seen through two views of the same buffer as the thread and the watchdog see it.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/protocol/registry.js';

/** The thread's view and the watchdog's view of one slot (two Registry objects on one buffer). */
function pair(threadId = 3) {
  const registry = new Registry();
  const slot = registry.claim(threadId);
  if (!slot) throw new Error('no slot');
  const watchdog = new Registry(registry.buffer);
  return { registry, slot, seen: watchdog.slot(0), watchdog };
}

describe('thread slot: release and reuse', () => {
  it('a released slot goes to the next thread with every number cleared', () => {
    const { registry, slot } = pair(3);
    slot.beat();
    slot.countBlock();
    slot.addStartupMs(40);
    slot.markTurned();
    slot.writeName('cruncher');
    slot.claimGap(slot.gen());
    slot.markExited();
    slot.markDone();
    slot.release();
    expect(slot.owner()).toBe(-1);
    const again = registry.claim(9);
    expect(again).toBe(slot);
    expect(again?.owner()).toBe(9);
    expect([again?.lastBeat(), again?.gen(), again?.blocks(), again?.startupMs()]).toEqual([0, 0, 0, 0]);
    expect([again?.hasTurned(), again?.exited(), again?.done(), again?.readName()]).toEqual([false, false, false, undefined]);
    // No gap claimed: the first gap can be claimed again.
    expect(again?.claimGap(0)).toBe(true);
    expect(registry.slotsUsed()).toBe(1);
  });
});

describe('thread slot: heartbeat and gaps', () => {
  it('a beat stamps the time and moves the generation', () => {
    const { slot, seen } = pair();
    const before = Date.now();
    slot.beat();
    slot.beat();
    expect(seen.gen()).toBe(2);
    expect(seen.lastBeat()).toBeGreaterThanOrEqual(before);
    expect(seen.lastBeat()).toBeLessThanOrEqual(Date.now());
    // On a test's clock.
    slot.beat(10_000);
    expect([seen.lastBeat(), seen.gen()]).toEqual([10_000, 3]);
  });

  it('a gap is claimed by one writer only, and the next gap can be claimed again', () => {
    const { slot, seen } = pair();
    slot.beat();
    const gen = slot.gen();
    expect(seen.claimGap(gen)).toBe(true); // the watchdog
    expect(slot.claimGap(gen)).toBe(false); // the thread, turning late
    slot.beat();
    expect(slot.claimGap(slot.gen())).toBe(true);
    expect(seen.claimGap(slot.gen())).toBe(false);
    slot.resetGapClaim();
    expect(seen.claimGap(slot.gen())).toBe(true);
  });

  it('exit: the exit beat is known until the thread beats again, and an open gap is waited for', () => {
    const { slot, seen } = pair();
    slot.beat();
    expect(seen.atExitBeat()).toBe(false);
    slot.markExitBeat();
    slot.markExited();
    expect(seen.atExitBeat()).toBe(true);
    expect(seen.exited()).toBe(true);
    slot.beat();
    expect(seen.atExitBeat()).toBe(false);

    // No open gap: no wait. An open gap never closed: the wait ends at its timeout. A closed one: no wait.
    let t0 = performance.now();
    slot.awaitGapClosed(5000);
    expect(performance.now() - t0).toBeLessThan(1000);
    seen.openGap(slot.lastBeat());
    t0 = performance.now();
    slot.awaitGapClosed(60);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
    seen.closeGap();
    t0 = performance.now();
    slot.awaitGapClosed(5000);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('thread slot: counters, mailbox, name, health', () => {
  it('keeps the counters of the summary', () => {
    const { slot, seen } = pair();
    seen.countBlock();
    seen.countBlock();
    seen.addStartupMs(12.5);
    slot.addStartupMs(30);
    slot.countUnnamedGap(150);
    seen.countUnnamedGap(50);
    seen.noteBlockMs(300);
    seen.noteBlockMs(120);
    seen.addExitIdleMs(7);
    expect([slot.blocks(), slot.startupMs(), slot.unnamedMs(), slot.unnamedGaps(), slot.worstMs(), slot.exitIdleMs()]).toEqual([2, 42.5, 200, 2, 300, 7]);
  });

  it('carries one map request at a time, and none that does not fit', () => {
    const { slot, seen } = pair();
    expect(slot.requestedMap()).toBeNull();
    expect(seen.requestMap('/app/src/server.ts')).toBe(true);
    expect(seen.requestMap('/app/src/other.ts')).toBe(false);
    expect(seen.mapRequested()).toBe(true);
    expect(slot.requestedMap()).toBe('/app/src/server.ts');
    slot.clearMapRequest();
    expect(seen.mapRequested()).toBe(false);
    expect(seen.requestMap(`/${'x'.repeat(2000)}.ts`)).toBe(false);
    expect(seen.requestMap('/app/é.ts')).toBe(true);
    expect(slot.requestedMap()).toBe('/app/é.ts');
  });

  it('names the thread, cut to the name area', () => {
    const { slot, seen } = pair();
    slot.writeName(undefined);
    expect(seen.readName()).toBeUndefined();
    slot.writeName('cruncher');
    expect(seen.readName()).toBe('cruncher');
    slot.writeName('n'.repeat(500));
    expect(seen.readName()).toBe('n'.repeat(128));
  });

  it('publishes loop health, and a thread silent for the threshold after its first turn is blocked', () => {
    const { slot, seen } = pair(3);
    slot.writeName('cruncher');
    slot.stampHealth();
    slot.publishHealth({ min: 0.1, max: 9, mean: 1.5, p50: 1, p90: 4, p99: 8 }, 0.25, 1200, 800);
    slot.beat();
    const beat = slot.lastBeat();
    // Before the loop's first turn a silent thread is in start-up, not blocked.
    expect(seen.readHealth(beat + 500, 100)?.blockedMs).toBe(0);
    slot.markTurned();
    const health = seen.readHealth(beat + 500, 100);
    expect(health).toMatchObject({
      pid: process.pid, threadId: 3, threadName: 'cruncher', delay: { min: 0.1, max: 9, mean: 1.5, p50: 1, p90: 4, p99: 8 },
      elu: 0.25, activeMs: 1200, idleMs: 800, blockedMs: 500, blocks: 0, exited: false,
    });
    expect(seen.readHealth(beat + 50, 100)?.blockedMs).toBe(0);
    slot.markExited();
    expect(seen.readHealth(beat + 500, 100)).toMatchObject({ blockedMs: 0, exited: true });
  });
});

describe('thread slot: sync API call counts', () => {
  it('the watchdog reads each API\'s calls as the thread counts them; a reused slot starts from none', () => {
    const { registry, slot, seen } = pair(4);
    expect(seen.readSyncCalls()).toEqual({});
    const read = slot.addSyncApi('fs.readFileSync');
    const wait = slot.addSyncApi('Atomics.wait');
    slot.countSyncCalls(read, 1);
    slot.countSyncCalls(read, 1);
    slot.countSyncCalls(wait, 1);
    slot.countSyncCalls(read, -1);
    expect(seen.readSyncCalls()).toEqual({ 'fs.readFileSync': 1, 'Atomics.wait': 1 });
    expect(seen.readHealth(Date.now(), 50)?.syncCalls).toEqual({ 'fs.readFileSync': 1, 'Atomics.wait': 1 });
    slot.release();
    const again = registry.claim(5)!;
    expect(again.readSyncCalls()).toEqual({});
  });

  it('a full table counts no more APIs (-1), and the ones it has go on', () => {
    const { slot, seen } = pair(6);
    const first = slot.addSyncApi('zlib.gzipSync');
    let last = 0;
    for (let i = 1; last >= 0; i++) last = slot.addSyncApi(`fs.api${i}Sync`);
    expect(last).toBe(-1);
    slot.countSyncCalls(first, 3);
    expect(seen.readSyncCalls()['zlib.gzipSync']).toBe(3);
  });
});
