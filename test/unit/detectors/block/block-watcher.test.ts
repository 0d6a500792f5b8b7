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
import type { SchedSource } from '../../../../src/detectors/block/cpu-split.js';
import { metThreshold } from '../../../../src/finding.js';
import type { RestSentinel } from '../../../../src/detectors/block/rest-sentinel.js';

const APP = '/app/server.js';
const at = (line: number, fn = 'handler', file = APP): RawFrame => ({ function: fn, file, line, column: 5 });
const TIMERS: RawFrame = { function: 'listOnTimeout', file: 'node:internal/timers', line: 581, column: 17 };
const LOADER: RawFrame = { function: 'Module._load', file: 'node:internal/modules/cjs/loader', line: 1, column: 1 };

/**
 * What the scripted thread does as the clock runs, as the kernel would count it: on a CPU, asleep,
 * runnable but kept from a CPU (its wait is added to its total only once it runs again, as the
 * kernel does), or sharing its core with a busy process (half and half, in slices too short to see).
 */
type Doing = 'cpu' | 'sleep' | 'starved' | 'shared' | 'idle';

/** The system call the kernel shows the scripted thread in: its loop's poll when idle, a futex when asleep. */
const SYSCALL: Record<Doing, string> = { cpu: 'running', shared: 'running', starved: 'running', sleep: '202 0x7f00', idle: '281 0x9' };

/** `tickMs`: the kernel's statistics add a running thread's time only at each scheduler tick of this length. */
function scriptedThread(tickMs = 0) {
  let doing: Doing = 'cpu';
  let cpuMs = 0;
  let waitMs = 0;
  let pendingMs = 0;
  /** Another thread of the process (a V8 helper) and how long it has waited for a CPU. */
  let siblingWaitMs = 0;
  /** The watchdog's own thread: how long it has waited for a CPU. */
  let ownWaitMs = 0;
  const thread = {
    /** The watchdog's thread waits `ms` for a CPU. */
    ownWaits(ms: number) {
      ownWaitMs += ms;
    },
    /** The helper thread waits `ms` for a CPU (the loop's thread may be asleep waiting on it). */
    siblingWaits(ms: number) {
      siblingWaitMs += ms;
    },
    get cpuMs() {
      return cpuMs;
    },
    set(next: Doing) {
      if (next !== 'starved' && next !== 'sleep') {
        waitMs += pendingMs;
        pendingMs = 0;
      }
      doing = next;
    },
    pass(ms: number) {
      if (doing === 'cpu') cpuMs += ms;
      else if (doing === 'starved') pendingMs += ms;
      else if (doing === 'shared') {
        cpuMs += ms / 2;
        waitMs += ms / 2;
      }
    },
    source: {
      open: (tid: number) =>
        tid === 4242
          ? { read: (at: number) => ({ at, cpuMs: tickMs > 0 ? Math.floor(cpuMs / tickMs) * tickMs : cpuMs, waitMs, asleep: doing === 'sleep' || doing === 'idle' }), syscall: () => SYSCALL[doing], close() {} }
          : null,
      siblings: (tid: number) => {
        if (tid !== 4242) return null;
        const start = siblingWaitMs;
        return { maxWaitMs: () => siblingWaitMs - start };
      },
      ownWaitMs: () => ownWaitMs,
    } as SchedSource,
  };
  return thread;
}

/** A thread, a clock and a stack reader whose answers (stack, and how long it takes) the test scripts. */
function setup(
  slowMs = 100,
  intervalMs = 10,
  cpuProfileDir: string | null = null,
  more: Partial<BlockWatcherOptions> & { threadId?: number; starting?: boolean; kernel?: 'stamps' | 'no-stamps'; tickMs?: number; cpuClock?: boolean } = {},
) {
  let clock = 10_000;
  const { threadId = 0, starting = false, kernel, tickMs = 0, cpuClock = false, ...options } = more;
  const registry = new Registry();
  const slot = registry.claim(threadId)!;
  const thread = scriptedThread(tickMs);
  // The sentinel's binary as the watchdog uses it in a block: the thread's CPU clock, up to date.
  if (cpuClock) options.restSentinel = { watch: () => false, unwatch() {}, stop() {}, cpuMs: (tid) => (tid === 4242 ? thread.cpuMs : null) };
  if (kernel) slot.setKernelThread(4242);
  const advance = (ms: number) => {
    clock += ms;
    thread.pass(ms);
  };
  const beat = () => slot.beat(clock, kernel === 'stamps' ? thread.cpuMs : -1);
  beat();
  if (!starting) slot.markTurned();
  let answer: { frames: RawFrame[] | null; takesMs: number; meanwhile?: () => void } = { frames: [], takesMs: 0 };
  let reads = 0;
  const engine: StackEngine = {
    name: 'native',
    canCapture: () => true,
    async capture() {
      reads++;
      advance(answer.takesMs);
      answer.meanwhile?.();
      return answer.frames;
    },
    dispose() {},
  };
  const found: Finding[] = [];
  let sentinelClock: { nextTick: number; nextPoll: number } | undefined;
  const watcher = createBlockWatcher({ registry: registry.buffer, slowMs, intervalMs, engine, emit: (f) => found.push(f), now: () => clock, cwd: '/app', cpuProfileDir, sched: kernel ? thread.source : null, ...options });
  return {
    slot,
    /** From now on the thread is on a CPU, asleep, starved, or sharing its core (the kernel's view). */
    doing: (d: Doing) => thread.set(d),
    siblingWaits: (ms: number) => thread.siblingWaits(ms),
    ownWaits: (ms: number) => thread.ownWaits(ms),
    registry,
    /** Lets `ms` pass without a tick of the watchdog. */
    pass: advance,
    found,
    beat,
    watcher,
    reads: () => reads,
    /** The next reads' answer, which takes `takesMs`; `meanwhile` runs in the thread before it answers. */
    stack(frames: RawFrame[] | null, takesMs = 1, meanwhile?: () => void) {
      answer = { frames, takesMs, meanwhile };
    },
    /** Lets `ms` pass, ticking the watchdog every interval. */
    async run(ms: number) {
      const end = clock + ms;
      while (clock < end) {
        advance(intervalMs);
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
          advance(nextBeat - clock);
          beat();
          nextBeat += intervalMs;
          continue;
        }
        advance(Math.max(0, nextTick - clock));
        const delay = await watcher.tick();
        ticks++;
        nextTick = clock + delay;
        if (nextBeat <= clock) nextBeat = clock + intervalMs; // the thread turns again after its gap
      }
      return ticks;
    },
    blocks: () => found.filter((f): f is BlockFinding => f.kind === 'block'),
    /** The scripted thread's CPU time (ms), as its CPU clock reads. */
    cpuMs: () => thread.cpuMs,
    /**
     * Lets `ms` pass with the thread resting and `sentinel` checking its clock every 4 ms (the kernel
     * checks a CPU-clock timer at its scheduler tick): the watchdog ticks when its last tick asked to be,
     * or when the sentinel calls; returns how many ticks ran.
     */
    async followSentinel(ms: number, sentinel: ScriptedSentinel) {
      const end = clock + ms;
      // the watchdog's and the sentinel's timers run on across calls
      sentinelClock ??= { nextTick: clock, nextPoll: clock + 4 };
      const at = sentinelClock;
      let ticks = 0;
      while (clock < end) {
        advance(Math.max(0, Math.min(at.nextTick, at.nextPoll, end) - clock));
        if (clock >= at.nextPoll) {
          at.nextPoll += 4;
          if (sentinel.poll()) at.nextTick = clock;
        }
        if (clock >= at.nextTick && clock < end) {
          const delay = await watcher.tick();
          ticks++;
          at.nextTick = clock + delay;
        }
      }
      return ticks;
    },
  };
}

/** The rest sentinel as the native one behaves (rest-sentinel.ts), on the scripted thread's CPU clock. */
class ScriptedSentinel implements RestSentinel {
  cpuMs: () => number = () => 0;
  armed: { baseline: number; slackMs: number } | null = null;
  calls = 0;
  watch(tid: number, slackUs: number): boolean {
    if (tid !== 4242) return false;
    this.armed = { baseline: this.cpuMs(), slackMs: slackUs / 1000 };
    this.watching = true;
    return true;
  }
  /** Whether the thread is known to the sentinel at all (armed or not): unwatch() forgets it. */
  watching = false;
  unwatch(): void {
    this.armed = null;
    this.watching = false;
  }
  stop(): void {}
  /** One scheduler tick: true when the thread's timer expired and the sentinel calls the watchdog. */
  poll(): boolean {
    if (!this.armed || this.cpuMs() <= this.armed.baseline + this.armed.slackMs) return false;
    this.armed = null;
    this.calls++;
    return true;
  }
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

  it('a gap after start-up with no application frame on any read is a block with the reason, not a site', async () => {
    const w = setup();
    w.stack([{ function: 'listOnTimeout', file: 'node:internal/timers', line: 581, column: 17 }], 200);
    await w.run(300);
    w.beat();
    await w.run(20);
    const [b, ...rest] = w.blocks();
    expect(rest).toEqual([]);
    expect(b).toMatchObject({ site: null, ongoing: false, thresholdMs: 100 });
    expect(b!.reason).toBe('outside JavaScript in a timer callback: the stack could only be read after it returned');
    expect(b!.message).toContain('no application frame');
    expect(b!.frames[0]).toMatchObject({ file: 'node:internal/timers' });
    expect(w.slot.unnamedGaps()).toBe(0);
  });

  it('a gap with no application frame while the thread starts is no finding: the summary counts it', async () => {
    const w = setup(100, 10, null, { starting: true });
    w.stack([{ function: 'emitHook', file: 'node:internal/async_hooks', line: 1, column: 1 }], 200);
    await w.run(300);
    w.beat();
    await w.run(20);
    expect(w.found).toEqual([]);
    // As start-up (what ran before the watchdog's first read may have been) or as a gap no frame was named for.
    expect(w.slot.startupMs() + w.slot.unnamedMs()).toBeGreaterThanOrEqual(250);
  });

  it('a gap begun before the first turn whose only read came as the first turn began (a timer\'s dispatch) is no finding: the summary counts it', async () => {
    // Seen under tsx on a loaded machine: the entry module loading, outside JavaScript, no read answered
    // until the heartbeat's first tick, which also marks the thread as turned before the gap closes.
    const w = setup(100, 10, null, { starting: true });
    // The first tick runs (it marks the thread turned) before the read is answered, 13 ms after it was asked.
    w.stack([{ function: 'processTimers', file: 'node:internal/timers', line: 603, column: 25 }], 13, () => w.slot.markTurned());
    await w.run(110);
    w.beat();
    await w.run(20);
    expect(w.found).toEqual([]);
    expect(w.slot.unnamedGaps()).toBe(1);
  });

  it('a read answered in the agent\'s exit hook (an uncaught exception, then exit) ends the app\'s part: the block stays', async () => {
    const w = setup();
    w.stack([at(30), TIMERS]);
    await w.run(250);
    const hook: RawFrame = { function: 'onExit', file: `${process.cwd()}/dist/agent/thread-agent.js`, line: 900, column: 5 };
    w.stack([hook, { function: 'emit', file: 'node:events', line: 1, column: 1 }, { function: '', file: 'node:internal/process/execution', line: 1, column: 1 }]);
    await w.run(40);
    w.beat();
    w.slot.markExitBeat();
    w.slot.markExited();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last).toMatchObject({ ongoing: false, site: { line: 30 } });
    expect(last.durationMs).toBeGreaterThanOrEqual(250);
    expect(w.slot.startupMs()).toBe(0);
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

  // V8 answers a read in JSON.parse only once it returns, often at the app's next statement: an app frame
  // on top. Whether the thread was kept from a CPU or ran outside JavaScript, the kernel can say.
  describe('a late read with an app frame on top, judged by what the kernel saw', () => {
    const lateAtApp = async (during: (w: ReturnType<typeof setup>) => void, meanwhile?: (w: ReturnType<typeof setup>) => void) => {
      const w = setup(100, 10, null, { kernel: 'stamps' });
      w.stack([at(17), TIMERS], 300, () => meanwhile?.(w));
      during(w);
      await w.run(700);
      w.beat();
      await w.run(20);
      return { w, last: w.blocks().at(-1)! };
    };

    it('on a CPU all the while: outside JavaScript, in a call that returned there', async () => {
      const { last } = await lateAtApp((w) => w.doing('cpu'));
      expect(last.site!.line).toBe(17);
      expect(last.origin?.type).toBe('native');
      expect(last.message).toContain('in a call that returned at handler (server.js:17:5)');
    });

    it('asleep all the while (a native call that waits): outside JavaScript too', async () => {
      const { last } = await lateAtApp((w) => w.doing('sleep'));
      expect(last.origin?.type).toBe('native');
    });

    it('kept waiting for a CPU most of the while: JavaScript that got the CPU late', async () => {
      // Each read: 300 ms kept from a CPU (counted once the thread runs again), then 100 ms on one.
      const { last } = await lateAtApp(
        (w) => w.doing('starved'),
        (w) => {
          w.doing('cpu');
          w.pass(100);
          w.doing('starved');
        },
      );
      expect(last.site!.line).toBe(17);
      expect(last.origin).toBeUndefined();
    });

    it('the watchdog itself kept waiting for a CPU: the answer may have been prompt', async () => {
      const { last } = await lateAtApp(
        (w) => w.doing('cpu'),
        (w) => w.ownWaits(280),
      );
      expect(last.origin).toBeUndefined();
    });

    it('another thread read too: the late answer may be the other\'s, so the stack alone decides', async () => {
      const w = setup(100, 10, null, { kernel: 'stamps' });
      const other = w.registry.claim(1)!;
      other.beat(10_000, -1);
      other.markTurned();
      w.stack([at(17), TIMERS], 300, () => other.beat(Date.now(), -1));
      w.doing('cpu');
      await w.run(700);
      w.beat();
      await w.run(20);
      const last = w.blocks().filter((b) => b.threadId === 0).at(-1)!;
      expect(last.site!.line).toBe(17);
      expect(last.origin).toBeUndefined();
    });
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

  it('a worker terminated during a block already written: its final line, the block ended', async () => {
    const w = setup(100, 10, null, { threadId: 4 });
    w.stack([at(30), TIMERS]);
    await w.run(150);
    expect(w.blocks().map((b) => b.ongoing)).toEqual([true]);
    w.stack(null);
    await w.run(50);
    const lines = w.blocks();
    expect(lines.map((b) => b.ongoing)).toEqual([true, false]);
    expect(lines[1]!.id).toBe(lines[0]!.id);
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

describe('what the thread did in a gap (the kernel\'s scheduler statistics, scripted)', () => {
  it('on a CPU the whole gap: a block with cpuMs, written when found (the beats stamp the thread\'s CPU)', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([at(30), TIMERS]);
    w.doing('cpu');
    await w.run(130);
    expect(w.blocks()[0]).toMatchObject({ ongoing: true, thresholdMs: 100 });
    await w.run(170);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last).toMatchObject({ ongoing: false, site: { line: 30 }, sleepMs: 0, starvedMs: 0 });
    expect(last.cpuMs).toBeGreaterThanOrEqual(290);
    expect(last.message).not.toContain('on a CPU'); // all of it ran: no split in words
    expect(metThreshold(last)).toBe(true);
  });

  it('the first line is written at the tick its CPU time certainly reaches the threshold, not at the next read', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([at(30), TIMERS], 1);
    w.doing('cpu');
    // Beats for 50 ms, then a block: opened at the threshold, its CPU short of it by the kernel's tick;
    // the next read is a sampling interval (20 ms) later.
    await w.follow(300, 50);
    const first = w.blocks()[0]!;
    expect(first).toMatchObject({ ongoing: true, site: { line: 30 } });
    expect(first.durationMs).toBeGreaterThanOrEqual(100);
    expect(first.durationMs).toBeLessThan(100 + sampleEvery(100, 10));
  });

  it("with the thread's CPU clock, the first line comes when the thread's time reached the threshold, and says so", async () => {
    // The kernel's statistics move at 4 ms ticks; the beats' stamps are exact (thread-cpu.ts).
    const firstLine = async (cpuClock: boolean) => {
      const w = setup(100, 10, null, { kernel: 'stamps', tickMs: 4, cpuClock });
      w.stack([at(30), TIMERS], 1);
      w.doing('cpu');
      await w.follow(300, 53);
      return w.blocks()[0]!;
    };
    const lagging = await firstLine(false);
    const clocked = await firstLine(true);
    for (const first of [lagging, clocked]) {
      expect(first).toMatchObject({ ongoing: true, site: { line: 30 } });
      // What the line says the thread did reached the threshold: no later line contradicts it.
      expect(first.cpuMs! + first.sleepMs!).toBeGreaterThanOrEqual(100);
    }
    expect(clocked.durationMs).toBeLessThan(lagging.durationMs);
  });

  it('without CPU stamps (a thread that could not read its own CPU time), the first line waits until the measured stretch alone reaches the threshold', async () => {
    const w = setup(100, 10, null, { kernel: 'no-stamps' });
    w.stack([at(30), TIMERS]);
    w.doing('cpu');
    await w.run(150);
    expect(w.blocks()).toEqual([]);
    await w.run(100); // opened at 100 ms: 100 ms measured by 200-220 ms
    expect(w.blocks()[0]).toMatchObject({ ongoing: true });
    w.beat();
    await w.run(20);
    expect(w.blocks().at(-1)!.cpuMs).toBeGreaterThanOrEqual(240);
  });

  it('a 60 ms callback stretched past the threshold by a busy neighbour is no finding: the thread is counted as starved', async () => {
    for (const kernel of ['stamps', 'no-stamps'] as const) {
      const w = setup(100, 10, null, { kernel });
      w.stack([at(30), TIMERS]);
      w.doing('shared');
      await w.run(130); // 65 ms on a CPU, 65 ms waiting for one
      w.doing('cpu');
      w.beat();
      await w.run(20);
      expect(w.found, kernel).toEqual([]);
      expect(w.slot.starvedGaps(), kernel).toBe(1);
      expect(w.slot.starvedMs(), kernel).toBeGreaterThanOrEqual(40);
      expect(w.slot.unnamedGaps()).toBe(0);
    }
  });

  it('a wait for a CPU not yet accounted by the kernel is never taken for sleep: no line until the CPU time is certain', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([at(30), TIMERS]);
    w.doing('cpu');
    await w.run(50);
    w.doing('starved'); // runnable, kept off the CPU: the kernel adds the wait only when it runs again
    await w.run(300);
    expect(w.blocks()).toEqual([]);
    w.doing('cpu');
    await w.run(20);
    w.beat();
    await w.run(20);
    expect(w.found).toEqual([]);
    expect(w.slot.starvedGaps()).toBe(1);
  });

  it('asleep off a CPU (sync I/O, a wait) is the app\'s block: sleepMs, and the split in words', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([{ function: 'readFileSync', file: 'node:fs', line: 1, column: 1 }, at(44), TIMERS], 1);
    w.doing('sleep');
    await w.run(400);
    expect(w.blocks()[0]).toMatchObject({ ongoing: true });
    w.doing('cpu');
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.sleepMs).toBeGreaterThanOrEqual(300);
    expect(last.cpuMs).toBeLessThan(50);
    expect(last.message).toMatch(/asleep off a CPU/);
  });

  it('asleep while another thread of the process waited for a CPU (a starved GC helper): no block, counted as starved', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([at(30), TIMERS]);
    w.doing('cpu');
    await w.run(30);
    w.doing('sleep');
    for (let i = 0; i < 15; i++) {
      w.siblingWaits(20); // the helper the thread waits on waits as long for a CPU
      await w.run(20);
    }
    expect(w.blocks()).toEqual([]);
    w.doing('cpu');
    w.beat();
    await w.run(20);
    expect(w.found).toEqual([]);
    expect(w.slot.starvedGaps()).toBe(1);
    expect(w.slot.starvedMs()).toBeGreaterThanOrEqual(250);
  });

  it('asleep while the other threads ran freely stays the app\'s sleep', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([{ function: 'readFileSync', file: 'node:fs', line: 1, column: 1 }, at(44), TIMERS], 1);
    w.doing('sleep');
    for (let i = 0; i < 15; i++) {
      w.siblingWaits(1);
      await w.run(20);
    }
    w.doing('cpu');
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.ongoing).toBe(false);
    expect(last.sleepMs).toBeGreaterThanOrEqual(250);
  });

  /** A gap of 400 ms kept from a CPU, then `cpuMs` on one, then `sleepMs` asleep; ended by a beat. */
  async function starvedThenAsleep(w: ReturnType<typeof setup>, cpuMs: number, sleepMs: number) {
    w.doing('starved');
    await w.run(400);
    w.doing('cpu');
    await w.run(cpuMs);
    w.doing('sleep');
    await w.run(sleepMs);
    w.doing('cpu');
    w.beat();
    await w.run(20);
  }

  // fastify's suite under load: `server.listen` 2.11 s, 15 ms on a CPU, 223 ms asleep, 1.87 s waiting.
  it('asleep in a gap it spent mostly waiting for a CPU: the sleep is the machine\'s too, no block', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([at(30), TIMERS]);
    await starvedThenAsleep(w, 10, 250);
    expect(w.found).toEqual([]);
    expect(w.slot.starvedGaps()).toBe(1);
  });

  it('asleep in a sync API while mostly waiting for a CPU: the sleep is the call\'s, still a block', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    const wrapper: RawFrame = { function: 'readFileSync', file: `${process.cwd()}/dist/agent/thread-agent.js`, line: 700, column: 3 };
    w.stack([{ function: 'readFileSync', file: 'node:fs', line: 1, column: 1 }, wrapper, at(44), TIMERS]);
    await starvedThenAsleep(w, 10, 250);
    const last = w.blocks().at(-1)!;
    expect(last.ongoing).toBe(false);
    expect(last.origin).toMatchObject({ type: 'sync-api', api: 'fs.readFileSync' });
    expect(last.sleepMs).toBeGreaterThanOrEqual(100);
  });

  it('mostly waiting for a CPU, with its own CPU time over the threshold: a block, its sleep counted as the wait', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([at(30), TIMERS]);
    await starvedThenAsleep(w, 200, 200);
    const last = w.blocks().at(-1)!;
    expect(last.ongoing).toBe(false);
    expect(last.cpuMs).toBeGreaterThanOrEqual(200);
    expect(last.sleepMs).toBe(0);
    expect(last.starvedMs).toBeGreaterThanOrEqual(400);
  });

  it('a block partly starved keeps its starved time apart and says so', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([at(30), TIMERS]);
    w.doing('shared');
    await w.run(600); // 300 ms on a CPU, 300 ms waiting
    w.doing('cpu');
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.cpuMs).toBeGreaterThanOrEqual(250);
    expect(last.starvedMs).toBeGreaterThanOrEqual(250);
    expect(last.cpuMs! + last.sleepMs! + last.starvedMs!).toBe(last.durationMs);
    expect(last.message).toMatch(/waiting for a CPU/);
    expect(w.slot.starvedGaps()).toBe(0);
  });

  it('a kernel that cannot be read leaves the wall clock as the rule', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps', sched: { open: () => null } });
    w.stack([at(30), TIMERS]);
    w.doing('shared');
    await w.run(200);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last).toMatchObject({ ongoing: false, thresholdMs: 100 });
    expect(last).not.toHaveProperty('cpuMs');
  });

  it('a block most of whose time is module loading after start-up is phase module-load', async () => {
    const w = setup(100, 10, null, { kernel: 'stamps' });
    w.stack([at(5, 'init', '/app/heavy.js'), LOADER, at(9, 'handler'), TIMERS]);
    await w.run(300);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last).toMatchObject({ phase: 'module-load', origin: { type: 'module-load' } });
  });

  it('a block written while it went on whose final part is under the threshold says it was none', async () => {
    const w = setup(100, 10, null, { starting: true });
    w.stack([at(9, 'onListening'), { function: 'processTicksAndRejections', file: 'node:internal/process/task_queues', line: 1, column: 1 }]);
    await w.run(250);
    expect(w.blocks()[0]).toMatchObject({ ongoing: true });
    w.stack([at(3, '<anonymous>', '/app/main.js'), LOADER]); // back in the entry module: start-up
    await w.run(200);
    w.stack([at(9, 'onListening'), { function: 'processTicksAndRejections', file: 'node:internal/process/task_queues', line: 1, column: 1 }]);
    await w.run(30);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.ongoing).toBe(false);
    expect(last.durationMs).toBeLessThan(100);
    expect(last.message).toMatch(/no block of the app: .* start-up/);
    expect(metThreshold(last)).toBe(false);
  });
});

describe('a resting thread (idle, beating once a second): watched by its CPU time', () => {
  /** The thread rested after its last beat; its loop sits in its poll. */
  function resting(kernel: 'stamps' | 'no-stamps' = 'stamps') {
    const wakes: number[] = [];
    const w = setup(100, 10, null, { kernel, wake: (_slot, id) => wakes.push(id) });
    w.slot.setResting(true);
    w.doing('idle');
    return { ...w, wakes };
  }

  it('idle: no finding, no wake-up, and the watchdog looks twice per threshold', async () => {
    const w = resting();
    const ticks = await w.follow(2000, 0);
    expect(w.found).toEqual([]);
    expect(w.wakes).toEqual([]);
    expect(ticks).toBeGreaterThanOrEqual(35);
    expect(ticks).toBeLessThanOrEqual(45);
  });

  it('a CPU block that starts while it rests: woken once, then found, from when its CPU began to move', async () => {
    for (const kernel of ['stamps', 'no-stamps'] as const) {
      const w = resting(kernel);
      w.stack([at(30), TIMERS]);
      await w.run(730);
      w.doing('cpu');
      await w.run(400);
      expect(w.wakes, kernel).toEqual([0]);
      expect(w.blocks()[0], kernel).toMatchObject({ ongoing: true, site: { line: 30 } });
      w.slot.setResting(false);
      w.beat();
      await w.run(20);
      const last = w.blocks().at(-1)!;
      expect(last.ongoing).toBe(false);
      // 400 ms of work, not the 730 ms of rest before it
      expect(last.durationMs, kernel).toBeGreaterThanOrEqual(380);
      expect(last.durationMs, kernel).toBeLessThanOrEqual(420);
      expect(last.cpuMs, kernel).toBeGreaterThanOrEqual(380);
    }
  });

  it('a short callback that ended before the watchdog looked (the thread is back in its poll): no wake-up', async () => {
    const w = resting();
    await w.run(300);
    w.doing('cpu');
    w.pass(10);
    w.doing('idle');
    await w.run(500);
    expect(w.wakes).toEqual([]);
    expect(w.found).toEqual([]);
  });

  // Woken while it runs callbacks, it answers at its next turn; 100 ms: a turn of 10 ms (seen by the
  // watchdog, which wakes it), then one of 90 ms: it ran for longer than the threshold, in two turns.
  it.each([60, 100])('woken after %d ms of callbacks, it beats at its next turn: no block', async (ms) => {
    const w = resting();
    w.stack([at(30), TIMERS]);
    await w.run(300);
    w.doing('cpu');
    await w.run(ms);
    expect(w.wakes).toEqual([0]);
    w.slot.setResting(false);
    w.beat();
    await w.follow(300);
    expect(w.found).toEqual([]);
  });

  it('asleep in another call than its poll (Atomics.wait, a sync read) after a little CPU: woken, then a block spent asleep', async () => {
    const w = resting();
    w.stack([{ function: 'readFileSync', file: 'node:fs', line: 1, column: 1 }, at(44), TIMERS], 1);
    await w.run(300);
    w.doing('cpu');
    await w.run(1);
    w.doing('sleep');
    await w.run(400);
    expect(w.wakes).toEqual([0]);
    w.doing('cpu');
    w.slot.setResting(false);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last).toMatchObject({ ongoing: false, site: { line: 44 } });
    expect(last.sleepMs).toBeGreaterThanOrEqual(300);
  });

  it('its own rest beat is no activity', async () => {
    const w = resting();
    for (let i = 0; i < 3; i++) {
      await w.run(990);
      w.doing('cpu');
      w.pass(0.05);
      w.beat();
      w.pass(0.05); // the rest of its callback, after the beat
      w.doing('idle');
    }
    await w.run(200);
    expect(w.wakes).toEqual([]);
    expect(w.found).toEqual([]);
  });

  it('a thread whose statistics cannot be read may not rest: it is told so and woken', async () => {
    const wakes: number[] = [];
    const w = setup(100, 10, null, { wake: (_slot, id) => wakes.push(id) });
    w.slot.setResting(true);
    await w.run(50);
    expect(w.slot.restForbidden()).toBe(true);
    expect(wakes.length).toBeGreaterThanOrEqual(1);
    expect(w.found).toEqual([]);
  });

  it('health() says a resting thread is not blocked, though its beat is old', () => {
    const registry = new Registry();
    const slot = registry.claim(0)!;
    slot.beat(1000, -1);
    slot.markTurned();
    slot.setResting(true);
    expect(slot.readHealth(1900, 100)!.blockedMs).toBe(0);
    slot.openGap(1500);
    expect(slot.readHealth(1900, 100)!.blockedMs).toBe(400);
    slot.setResting(false);
    expect(slot.readHealth(1900, 100)!.blockedMs).toBe(900);
  });
});

describe('a resting thread watched by the rest sentinel: the watchdog sleeps until the thread runs', () => {
  function watched() {
    const wakes: number[] = [];
    const sentinel = new ScriptedSentinel();
    const w = setup(100, 10, null, { kernel: 'stamps', wake: (_slot, id) => wakes.push(id), restSentinel: sentinel });
    sentinel.cpuMs = w.cpuMs;
    w.slot.setResting(true);
    w.doing('idle');
    return { ...w, wakes, sentinel };
  }

  it('idle: no finding, no wake-up, and the watchdog looks once a second (new threads wake it too)', async () => {
    const w = watched();
    const ticks = await w.followSentinel(3000, w.sentinel);
    expect(w.found).toEqual([]);
    expect(w.wakes).toEqual([]);
    expect(w.sentinel.calls).toBe(0);
    // without the sentinel: 2000 / 50 = ~40 looks in 2 s (the test above)
    expect(ticks).toBeLessThanOrEqual(6);
    expect(w.slot.restWatched()).toBe(true);
  });

  it('a CPU block that starts while it rests: the sentinel calls, the thread is woken once, the block found with its own length', async () => {
    const w = watched();
    w.stack([at(30), TIMERS]);
    await w.followSentinel(730, w.sentinel);
    w.doing('cpu');
    await w.followSentinel(400, w.sentinel);
    expect(w.sentinel.calls).toBe(1);
    expect(w.wakes).toEqual([0]);
    expect(w.blocks()[0]).toMatchObject({ ongoing: true, site: { line: 30 } });
    w.slot.setResting(false);
    w.beat();
    await w.run(20);
    const last = w.blocks().at(-1)!;
    expect(last.ongoing).toBe(false);
    expect(last.durationMs).toBeGreaterThanOrEqual(380);
    expect(last.durationMs).toBeLessThanOrEqual(420);
    // awake again: the sentinel no longer watches it
    expect(w.sentinel.armed).toBeNull();
    expect(w.sentinel.watching).toBe(false);
  });

  it('a sleep soon after its rest began, with less CPU than the settling slack: still found (the watchdog looks once more to settle it)', async () => {
    const w = watched();
    w.stack([{ function: 'readFileSync', file: 'node:fs', line: 1, column: 1 }, at(44), TIMERS], 1);
    await w.followSentinel(300, w.sentinel);
    w.doing('cpu');
    w.pass(0.5);
    w.doing('sleep');
    await w.followSentinel(400, w.sentinel);
    expect(w.wakes).toEqual([0]);
    w.doing('cpu');
    w.slot.setResting(false);
    w.beat();
    await w.run(20);
    expect(w.blocks().at(-1)).toMatchObject({ ongoing: false, site: { line: 44 } });
  });

  it('its rest beat calls the watchdog once and is no activity', async () => {
    const w = watched();
    let ticks = 0;
    for (let i = 0; i < 3; i++) {
      ticks += await w.followSentinel(990, w.sentinel);
      w.doing('cpu');
      w.pass(0.05);
      w.beat();
      w.pass(0.05);
      w.doing('idle');
    }
    ticks += await w.followSentinel(200, w.sentinel);
    expect(w.wakes).toEqual([]);
    expect(w.found).toEqual([]);
    expect(ticks).toBeLessThanOrEqual(10);
  });

  it('a loop that runs short callbacks all the time is looked at every half threshold, as without the sentinel, not at every poll', async () => {
    const w = watched();
    await w.followSentinel(100, w.sentinel);
    let ticks = 0;
    for (let i = 0; i < 100; i++) {
      // 1 ms of work every 10 ms, back in its poll in between
      w.doing('cpu');
      w.pass(1);
      w.doing('idle');
      ticks += await w.followSentinel(9, w.sentinel);
    }
    expect(w.wakes).toEqual([]);
    expect(w.found).toEqual([]);
    // 1 s: about 20 looks at 50 ms; called back at every callback it would be ~100
    expect(ticks).toBeLessThanOrEqual(30);
  });
});

