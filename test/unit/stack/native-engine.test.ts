// The native engine's choices, over a stand-in for the native binding (the real one runs in the
// integration tests, in worker pools): when it reads, when one read answers for another thread, and
// when it does not read at all (a thread the reader lists is leaving: it would wait for it, or touch it
// as Node frees it).
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/protocol/registry.js';
import type { NativeStackTrace } from '../../../src/stack/native-binding.js';
import { createNativeEngine } from '../../../src/stack/native-engine.js';

function standIn(listed: number[]) {
  let reads = 0;
  const frame = (id: number) => ({ function: `f${id}`, filename: `/app/t${id}.js`, lineno: reads, colno: 1 });
  const native: NativeStackTrace = {
    registerThread() {},
    threadPoll() {},
    getThreadsLastSeen: () => Object.fromEntries(listed.map((id) => [String(id), 0])),
    captureStackTrace() {
      reads++;
      return Object.fromEntries(listed.map((id) => [String(id), { frames: [frame(id)] }]));
    },
  };
  return { native, listed, reads: () => reads };
}

describe('the native engine', () => {
  it('reads when every thread the reader lists runs, and a fresh read begun after a block began answers for that thread', async () => {
    const registry = new Registry();
    registry.claim(0);
    registry.claim(2);
    let clock = 1000;
    const { native, reads } = standIn([0, 2]);
    const engine = createNativeEngine(native, { registry, freshMs: 10, now: () => clock });
    expect(await engine.capture(0, 990)).toEqual([{ function: 'f0', file: '/app/t0.js', line: 1, column: 1 }]);
    expect(reads()).toBe(1);
    // thread 2's block began before that read, which is fresh: no read of its own
    expect((await engine.capture(2, 995))?.[0]?.function).toBe('f2');
    expect(reads()).toBe(1);
    // a block that began after it, or a read gone stale, is read anew
    expect(await engine.capture(2, 1001)).not.toBeUndefined();
    expect(reads()).toBe(2);
    clock += 50;
    await engine.capture(2, 0);
    expect(reads()).toBe(3);
    expect(await engine.capture(9)).toBeNull(); // a thread the reader does not list
  });

  it('does not read while a thread it lists is leaving or gone from the registry, and reads again once it is off its list', async () => {
    const registry = new Registry();
    registry.claim(0);
    registry.claim(3)!.markExited();
    const s = standIn([0, 3]);
    const engine = createNativeEngine(s.native, { registry });
    expect(await engine.capture(0)).toBeUndefined();
    expect(s.reads()).toBe(0);
    s.listed.splice(1, 1); // Node freed thread 3
    expect(await engine.capture(0)).not.toBeUndefined();
    registry.claim(4);
    s.listed.push(4);
    registry.leave(4, 0); // terminated, say
    expect(await engine.capture(0)).toBeUndefined();
    s.listed.pop();
    expect(await engine.capture(0)).not.toBeUndefined();
    expect(registry.leavingThreads()).toEqual([]); // off the reader's list: its entry freed
    registry.close(0); // the main thread exits
    expect(await engine.capture(0)).toBeUndefined();
    expect(s.reads()).toBe(2);
  });
});
