// The watchdog half of the block detector on a clock and a stack reader of the test's own: how a gap
// becomes a finding (or not), named by its heaviest site.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../../src/protocol/registry.js';
import { createBlockWatcher, sampleEvery, type BlockWatcherOptions } from '../../../../src/detectors/block/block-watcher.js';
import type { BlockFinding, Finding } from '../../../../src/finding.js';
import type { RawFrame } from '../../../../src/frames/frames.js';
import type { StackEngine } from '../../../../src/stack/engine.js';
import type { ProbeAnswer } from '../../../../src/detectors/scheduling/probe.js';

const APP = '/app/server.js';
const at = (line: number, fn = 'handler', file = APP): RawFrame => ({ function: fn, file, line, column: 5 });
const TIMERS: RawFrame = { function: 'listOnTimeout', file: 'node:internal/timers', line: 581, column: 17 };
const LOADER: RawFrame = { function: 'Module._load', file: 'node:internal/modules/cjs/loader', line: 1, column: 1 };

/** A thread, a clock and a stack reader whose answers (stack, and how long it takes) the test scripts. */
function setup(slowMs = 100, intervalMs = 10, cpuProfileDir: string | null = null, more: Partial<BlockWatcherOptions> & { threadId?: number; starting?: boolean } = {}) {
  let clock = 10_000;
  const { threadId = 0, starting = false, ...options } = more;
  const registry = new Registry();
  const slot = registry.claim(threadId)!;
  const beat = () => slot.beat(clock);
  beat();
  if (!starting) slot.markTurned();
  let answer: { frames: RawFrame[] | null; takesMs: number } = { frames: [], takesMs: 0 };
  let reads = 0;
  const engine: StackEngine = {
    name: 'native',
    canCapture: () => true,
    async capture() {
      reads++;
      clock += answer.takesMs;
      return answer.frames;
    },
    dispose() {},
  };
  const found: Finding[] = [];
  const watcher = createBlockWatcher({ registry: registry.buffer, slowMs, intervalMs, engine, emit: (f) => found.push(f), now: () => clock, cwd: '/app', cpuProfileDir, ...options });
  return {
    slot,
    found,
    beat,
    watcher,
    reads: () => reads,
    stack(frames: RawFrame[] | null, takesMs = 1) {
      answer = { frames, takesMs };
    },
    /** Lets `ms` pass, ticking the watchdog every interval. */
    async run(ms: number) {
      const end = clock + ms;
      while (clock < end) {
        clock += intervalMs;
        await watcher.tick();
      }
    },
    /**
     * Lets `ms` pass with the thread beating every interval until `beatsUntil` (a clock time), waking
     * the watchdog only when its last tick asked to be woken; returns how many ticks ran.
     */
    async follow(ms: number, beatsUntil = Infinity) {
      const end = clock + ms;
      let nextTick = clock;
      let nextBeat = clock + intervalMs;
      let ticks = 0;
      while (clock < end) {
        if (nextBeat <= nextTick && nextBeat <= beatsUntil) {
          clock = nextBeat;
          beat();
          nextBeat += intervalMs;
          continue;
        }
        clock = Math.max(clock, nextTick);
        const delay = await watcher.tick();
        ticks++;
        nextTick = clock + delay;
        if (nextBeat <= clock) nextBeat = clock + intervalMs; // the thread turns again after its gap
      }
      return ticks;
    },
    blocks: () => found.filter((f): f is BlockFinding => f.kind === 'block'),
  };
}

describe('block watcher', () => {
  it('wakes a few times per threshold while the thread beats, and at every heartbeat once it is blocked', async () => {
    const w = setup(100, 10);
    const healthy = await w.follow(1000);
    expect(healthy).toBeLessThanOrEqual(25); // not one per heartbeat (100)
    expect(w.blocks()).toEqual([]);
    w.stack([at(30), TIMERS]);
    const blocked = await w.follow(400, 0); // no beat for 400 ms
    expect(blocked).toBeGreaterThanOrEqual(28); // from the threshold on, every heartbeat
    w.beat();
    await w.follow(100);
    const last = w.blocks().at(-1)!;
    expect(last.ongoing).toBe(false);
    expect(last.site).toMatchObject({ file: APP, line: 30 });
    expect(last.durationMs).toBeGreaterThanOrEqual(400);
    expect(last.durationMs).toBeLessThanOrEqual(420);
  });

  it('a gap is written when detected (ongoing) and again with its final duration, same id', async () => {
    const w = setup();
    await w.run(50);
    w.beat();
    w.stack([at(12), TIMERS]);
    await w.run(300);
    w.beat();
    await w.run(20);
    const ids = new Set(w.blocks().map((b) => b.id));
    expect(ids.size).toBe(1);
    expect(w.blocks()[0]!.ongoing).toBe(true);
    const last = w.blocks().at(-1)!;
    expect(last.ongoing).toBe(false);
    expect(last.site).toMatchObject({ file: APP, line: 12 });
    expect(last.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('names the block by the site that held it longest, and lists both in the profile', async () => {
    const w = setup();
    w.stack([at(20), TIMERS]);
    await w.run(150);
    w.stack([at(21), TIMERS]);
    await w.run(450);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.site!.line).toBe(21);
    expect(last.profile!.map((p) => p.site.line)).toEqual([21, 20]);
    expect(last.profile![0]!.share).toBeGreaterThan(last.profile![1]!.share);
  });

  it('a gap with no application frame on any read is no finding: the summary counts it', async () => {
    const w = setup();
    w.stack([{ function: 'emitHook', file: 'node:internal/async_hooks', line: 1, column: 1 }], 200);
    await w.run(300);
    w.beat();
    await w.run(20);
    expect(w.found).toEqual([]);
    expect(w.slot.unnamedGaps()).toBe(1);
  });

  it('the idle stretch before exit is counted as exit idle time, not a block', async () => {
    const w = setup();
    w.stack([{ function: 'emit', file: 'node:events', line: 1, column: 1 }], 150);
    await w.run(260);
    w.beat();
    w.slot.markExitBeat();
    w.slot.markExited();
    await w.run(20);
    expect(w.found).toEqual([]);
    expect(w.slot.exitIdleMs()).toBeGreaterThan(0);
  });

  it('a read answered late inside a callee names the native call it came back from', async () => {
    const w = setup();
    w.stack([{ function: 'end', file: 'node:_http_outgoing', line: 1, column: 1 }, at(31), TIMERS], 400);
    await w.run(600);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.site!.line).toBe(31);
    expect(last.origin?.type).toBe('native');
    expect(last.message).toContain('outside JavaScript');
  });

  it('a sync API in flight is named with its call site, not the agent\'s wrapper', async () => {
    const w = setup();
    const wrapper: RawFrame = { function: 'pbkdf2Sync', file: `${process.cwd()}/dist/agent/thread-agent.js`, line: 700, column: 3 };
    const inner: RawFrame = { function: 'pbkdf2Sync', file: 'node:internal/crypto/pbkdf2', line: 78, column: 17 };
    w.stack([{ function: 'from', file: 'node:buffer', line: 1, column: 1 }, inner, wrapper, at(44), TIMERS], 250);
    await w.run(400);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.origin).toMatchObject({ type: 'sync-api', api: 'crypto.pbkdf2Sync' });
    expect(last.site!.line).toBe(44);
    expect(last.frames[0]!.line).toBe(44);
  });

  it('start-up inside a gap is not the app: the block begins where the reads leave the loader', async () => {
    const w = setup(100, 10, null, { starting: true });
    w.stack([at(3, '<anonymous>', '/app/main.js'), LOADER]);
    await w.run(300);
    w.stack([at(9, 'onListening'), { function: 'processTicksAndRejections', file: 'node:internal/process/task_queues', line: 1, column: 1 }]);
    await w.run(400);
    w.beat();
    await w.run(20);
    const [b, ...rest] = w.blocks().filter((x) => !x.ongoing);
    expect(rest).toEqual([]);
    expect(b!.site!.line).toBe(9);
    expect(b!.durationMs).toBeLessThan(450);
    expect(w.slot.startupMs()).toBeGreaterThanOrEqual(250);
  });

  it('a late read inside the app\'s own code is JavaScript that did not get the CPU, not native time', async () => {
    const w = setup();
    w.stack([at(52), TIMERS], 200);
    await w.run(400);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.site!.line).toBe(52);
    expect(last.origin).toBeUndefined();
    expect(last.message).not.toContain('outside JavaScript');
  });
});

describe('cpu profile of a long block', () => {
  it('a block of three thresholds or more writes a .cpuprofile of its reads, named in the final line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-prof-'));
    const w = setup(100, 10, dir);
    w.stack([at(61, 'parse'), at(60), TIMERS]);
    await w.run(200);
    w.stack([at(70, 'render'), at(60), TIMERS]);
    await w.run(200);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.cpuprofile).toMatch(/\.cpuprofile$/);
    const profile = JSON.parse(readFileSync(last.cpuprofile!, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; lineNumber: number }; children: number[] }[]; samples: number[]; timeDeltas: number[] };
    expect(profile.samples.length).toBe(profile.timeDeltas.length);
    expect(profile.samples.length).toBeGreaterThanOrEqual(20);
    const names = profile.nodes.map((n) => n.callFrame.functionName);
    expect(names).toEqual(expect.arrayContaining(['(root)', 'listOnTimeout', 'handler', 'parse', 'render']));
    const handler = profile.nodes.find((n) => n.callFrame.functionName === 'handler')!;
    expect(handler.callFrame.lineNumber).toBe(59); // 0-based in the format
    expect(handler.children).toHaveLength(2);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a short block writes none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-prof-'));
    const w = setup(100, 10, dir);
    w.stack([at(61, 'parse'), TIMERS]);
    await w.run(180);
    w.beat();
    await w.run(20);
    expect(w.blocks().at(-1)!.cpuprofile).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('block watcher scheduling', () => {
  it('reads a blocked thread a few times per threshold; with a profile to write, at every tick', async () => {
    expect(sampleEvery(100, 10)).toBe(20);
    expect(sampleEvery(1000, 10)).toBe(50);
    expect(sampleEvery(20, 10)).toBe(10);
    const plain = setup(100, 10);
    plain.stack([at(30), TIMERS]);
    await plain.run(500);
    // Opened at 100 ms, then a read per 20 ms (sampleEvery) for the remaining 400 ms (each read takes 1 ms).
    expect(plain.reads()).toBeGreaterThanOrEqual(15);
    expect(plain.reads()).toBeLessThanOrEqual(21);
    const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-prof-'));
    const profiled = setup(100, 10, dir);
    profiled.stack([at(30), TIMERS]);
    await profiled.run(500);
    expect(profiled.reads()).toBeGreaterThanOrEqual(33); // a read per tick of 10 ms
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the open block in the slot while it lasts', async () => {
    const w = setup();
    w.stack([at(30), TIMERS]);
    await w.run(150);
    expect(w.slot.openGapBeat()).toBe(10_000);
    w.beat();
    await w.run(10);
    expect(w.slot.openGapBeat()).toBe(0);
  });

  it('an exited thread is watched until its findings are drained, then its slot is given back', async () => {
    let drained = false;
    const w = setup(100, 10, null, { canRelease: () => drained });
    await w.run(20);
    expect(w.watcher.size).toBe(1);
    w.slot.markExited();
    await w.run(20);
    expect(w.watcher.size).toBe(1);
    expect(w.slot.owner()).toBe(0);
    drained = true;
    await w.run(10);
    expect(w.watcher.size).toBe(0);
    expect(w.slot.owner()).toBe(-1);
  });

  it('a worker the native stack reader no longer knows was terminated, not blocked: no finding, slot given back', async () => {
    const w = setup(100, 10, null, { threadId: 4 });
    w.stack(null);
    await w.run(300);
    expect(w.found).toEqual([]);
    expect(w.watcher.size).toBe(0);
    expect(w.slot.owner()).toBe(-1);
  });

  it('asks the blocked thread for the source map of an app file that may have one in memory only', async () => {
    const w = setup();
    const file = '/app/src/server.ts';
    w.stack([at(8, 'handler', file), TIMERS]);
    await w.run(150);
    expect(w.slot.requestedMap()).toBe(file);
    expect(w.blocks()[0]!.frames[0]).toMatchObject({ file, generated: true });
  });

  it('debug mode: the callback the probe answers for this loop turn is the block\'s; a stale answer is dropped', async () => {
    const asked: number[] = [];
    let stale = false;
    const w = setup(100, 10, null, {
      probe: async (threadId) => {
        asked.push(threadId);
        const gen = w.slot.gen() - (stale ? 1 : 0);
        return { gen, type: 'timer', api: 'setTimeout', scheduled: [['/app/boot.js', 3, 4, 'start']], outer: ['node:internal/timers', 1, 1, 'processTimers'] };
      },
    });
    w.stack([at(30), TIMERS]);
    await w.run(300);
    w.beat();
    await w.run(20);
    expect(asked).toEqual([0]); // once per block
    expect(w.blocks().at(-1)!.callback).toMatchObject({ type: 'timer', scheduledAt: [{ file: '/app/boot.js', line: 3 }] });

    stale = true;
    w.stack([at(31), TIMERS]);
    await w.run(300);
    w.beat();
    await w.run(20);
    expect(asked).toEqual([0, 0]);
    expect(w.blocks().at(-1)!.site!.line).toBe(31);
    expect(w.blocks().at(-1)!.callback).toBeUndefined();
  });

  it('debug mode: an answer that arrives once the loop has turned is dropped', async () => {
    let answer: (a: ProbeAnswer) => void = () => {};
    const w = setup(100, 10, null, { probe: () => new Promise((resolve) => (answer = resolve)) });
    w.stack([at(30), TIMERS]);
    await w.run(300);
    const gen = w.slot.gen();
    w.beat();
    answer({ gen, type: 'timer', scheduled: [['/app/boot.js', 3, 4, 'start']], outer: ['node:internal/timers', 1, 1, 'processTimers'] });
    await new Promise((resolve) => setImmediate(resolve));
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.ongoing).toBe(false);
    expect(last.callback).toBeUndefined();
  });
});
