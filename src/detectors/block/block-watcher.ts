// The watchdog half of the block detector. It runs in the watchdog worker and reads every thread's
// heartbeat slot. When a loop has not turned for slowMs it opens a block (open-block.ts) and reads that
// thread's live stack through it (every sampleMs), writes the block when it is found (ongoing) and
// again at 1 s, 2 s, 4 s ..., and once more when the loop turns, with its final duration. The blocked
// thread itself does nothing. What this file decides is when: which threads, when to open, read, write
// and close, when the next tick is wanted, and when an exited thread's slot is given back.
// Where the kernel says what the thread did (cpu-split.ts, Linux), a gap is a block only when the
// thread spent the threshold on a CPU or asleep: a thread kept waiting for a CPU is counted as starved
// (gap-verdict.ts), and no ongoing line is written before that much is certain. A gap no application
// frame can be named for is a block with the reason instead of a site, unless it is start-up or
// Node draining V8's tasks at exit (the thread's summary counts those).
// A resting thread (heartbeat.ts: idle, beating once a second) is watched by its CPU time instead of its
// beats: when that moves, something runs; the thread is woken, and one that does not beat within the
// threshold is blocked, from when it was last seen idle. Where the rest sentinel runs (rest-sentinel.ts),
// the CPU time is read by its native thread, which calls the watchdog when it moved; the watchdog then
// looks as below, and otherwise sleeps.
import type { Finding, Frame } from '../../finding.js';
import { requestStateFrom } from '../../request-state.js';
import type { Probe } from '../scheduling/callback-probe.js';
import { isAppFrame, toFrames } from '../../frames/frames.js';
import { fileNeedingThreadMap } from '../../frames/source-maps.js';
import type { StackEngine } from '../../stack/engine.js';
import { buildCpuProfile, writeCpuProfile } from './cpuprofile.js';
import { OpenBlock, type BlockRules } from './open-block.js';
import { appPart, chargeSiblingWaits, chargeStarvedSleep, GapSplit, isMostlyStarved, procSchedSource, type GapSplitMs, type SchedReader, type SchedReading, type SchedSource, type SiblingWaits } from './cpu-split.js';
import { addBlockFacts, agentsOwn, inCallback, isActiveBlock, roundSplit, sitelessFinding, sitelessReason, withdrawnMessage } from './gap-verdict.js';
import { threadName } from '../../wording.js';
import { Registry, type ThreadSlot } from '../../protocol/registry.js';
import type { RestSentinel } from './rest-sentinel.js';

/** After the first report, a long block is written again at 1 s, 2 s, 4 s ... then every minute. */
export function nextSampleDelay(elapsedMs: number, slowMs: number): number {
  const first = Math.max(1000, 2 * slowMs);
  if (elapsedMs < first) return first;
  return Math.min(elapsedMs * 2, elapsedMs + 60_000);
}

/** How often a blocked thread's stack is read: a few samples per threshold. */
export function sampleEvery(slowMs: number, intervalMs: number): number {
  return Math.max(intervalMs, Math.min(50, Math.round(slowMs / 5)));
}

/** A resting thread as the watchdog last saw it. */
interface RestWatch {
  reader: SchedReader;
  /** The last reading at which the thread had used no CPU since the one before: idle until then. */
  idle: SchedReading;
  /** The thread's beat generation when that reading was taken (a rest beat moves it). */
  gen: number;
  /** False until a read found it idle since the one before (it still ends the beat that began its rest). */
  settled: boolean;
  /** The system call of its loop's poll (`281 0x12`), seen once it settled; null: not known. */
  loopPoll: string | null;
  /** Once its CPU time moved: when it was woken, and since when it is taken to be running. */
  wokenAt: number;
  runningSince: number;
  /** The rest sentinel watches its CPU time: once settled, no look is planned until it calls. */
  armed: boolean;
}

/**
 * How often a resting thread's CPU time is read: twice per threshold. A block's start is taken from
 * the CPU it used, not from when it was seen, so this sets how soon it is seen, not how long it seems.
 */
export function restPollMs(slowMs: number, intervalMs: number): number {
  return Math.max(intervalMs, Math.round(slowMs / 2));
}

/**
 * The system calls a loop polls in (Linux: epoll_wait, epoll_pwait, epoll_pwait2 on x86-64; epoll_pwait
 * and epoll_pwait2 on arm64), so that a thread first seen in another one (Atomics.wait's futex, a
 * child's wait) is never taken to be in its loop.
 */
const EPOLL_CALLS: Record<string, string[]> = { x64: ['232', '281', '441'], arm64: ['22', '441'] };
function epollCall(call: string | null): string | null {
  const nr = call?.split(' ')[0];
  return nr && EPOLL_CALLS[process.arch]?.includes(nr) ? call : null;
}

/** CPU (ms) a resting thread may use between two reads and still count as idle (the kernel's rounding). */
const IDLE_CPU_MS = 0.01;
/**
 * CPU (ms) it may use just after it began its rest or beat while resting: the rest of that callback
 * and the loop's way back to its poll run after its slot says so (tens of microseconds, more on a
 * loaded machine). Its wait for a CPU meanwhile is not counted then.
 */
const SETTLING_CPU_MS = 2;
/** With the rest sentinel, the watchdog's own look for new and exited threads (they also wake it). */
const SENTINEL_SCAN_MS = 1000;

/**
 * A gap's app part as the lines give it: its sleep counted as waiting for a CPU where the thread mostly
 * waited for one (chargeStarvedSleep), unless a synchronous API in flight was what it slept in.
 */
function ownSleep(b: OpenBlock, split: GapSplitMs): GapSplitMs {
  return b.inSyncApi ? split : chargeStarvedSleep(split);
}

interface Watched {
  index: number;
  threadId: number;
  slot: ThreadSlot;
  block: OpenBlock | null;
  /** For the open block: when its next read is due, and its next ongoing write. */
  nextSampleAt: number;
  nextWriteAt: number;
  /** For the open block, where the kernel says what the thread did: its statistics and their split. */
  sched: SchedReader | null;
  split: GapSplit | null;
  /** The process's other threads during the gap (their waits for a CPU are not the app's sleep). */
  siblings: SiblingWaits | null;
  /** Before the first write: when the split can next have reached the threshold. */
  nextSplitAt: number;
  /** While the thread rests (and no block is open). */
  rest: RestWatch | null;
}

export interface BlockWatcherOptions {
  /** The process's registry of thread slots (protocol/registry.ts). */
  registry: SharedArrayBuffer;
  slowMs: number;
  intervalMs: number;
  engine: StackEngine | null;
  emit: (finding: Finding) => void;
  now?: () => number;
  cwd?: string;
  /** Where a `.cpuprofile` of each block of 3 thresholds or more goes (null: none). */
  cpuProfileDir?: string | null;
  /** Whether an exited thread's slot may be given back (the hub has drained its findings). */
  canRelease?: (slot: ThreadSlot) => boolean;
  /** Debug mode: asks a blocked thread which callback is running and where it was scheduled. */
  probe?: Probe | null;
  /** Where a thread's scheduler statistics come from (default: the kernel's; null: the wall clock only). */
  sched?: SchedSource | null;
  /** Wakes a resting thread (default: through its slot, protocol/thread-slot.ts requestWake; a test's spy). */
  wake?: (slot: ThreadSlot, threadId: number) => void;
  /** Watches resting threads' CPU time natively and calls for a tick (null: resting threads are polled). */
  restSentinel?: RestSentinel | null;
}

export function createBlockWatcher(options: BlockWatcherOptions): BlockWatcher {
  return new BlockWatcher(options);
}

export class BlockWatcher {
  readonly intervalMs: number;
  private readonly slowMs: number;
  private readonly sampleMs: number;
  /** A thread that answers a stack read later than this was outside JavaScript. */
  private readonly lateMs: number;
  private readonly rules: BlockRules;
  private readonly engine: StackEngine | null;
  private readonly emit: (finding: Finding) => void;
  private readonly now: () => number;
  private readonly profileDir: string | null;
  private readonly canRelease: (slot: ThreadSlot) => boolean;
  private readonly probe: Probe | null;
  private readonly sched: SchedSource | null;
  private readonly wake: (slot: ThreadSlot, threadId: number) => void;
  private readonly restMs: number;
  private readonly sentinel: RestSentinel | null;
  /** Its views are made once: a scan every tick must not allocate. */
  private readonly slots: Registry;
  private readonly threads = new Map<number, Watched>();
  /** Blocks written, for their ids. */
  private counter = 0;
  /** How late the watchdog's own ticks run (smoothed): on a loaded machine every answer is later. */
  private lag = 0;
  /** When this tick was planned for (the delay the last tick asked for). */
  private plannedAt: number;
  private ticking = false;

  constructor(options: BlockWatcherOptions) {
    const { registry, slowMs, intervalMs } = options;
    this.slowMs = slowMs;
    this.intervalMs = intervalMs;
    this.engine = options.engine;
    this.emit = options.emit;
    this.now = options.now ?? Date.now;
    this.profileDir = options.cpuProfileDir ?? null;
    this.canRelease = options.canRelease ?? (() => true);
    this.probe = options.probe ?? null;
    this.sched = options.sched === undefined ? procSchedSource : options.sched;
    this.wake = options.wake ?? ((slot) => slot.requestWake());
    this.restMs = restPollMs(slowMs, intervalMs);
    this.sentinel = options.restSentinel ?? null;
    // With a profile to write, read at every tick: the profile's resolution.
    this.sampleMs = this.profileDir ? intervalMs : sampleEvery(slowMs, intervalMs);
    // Healthy threads answer within a heartbeat (the reader waits for every registered thread), so a
    // few heartbeats of slack.
    this.lateMs = Math.max(3 * intervalMs, Math.round(slowMs / 2));
    this.rules = { slowMs, sampleMs: this.sampleMs, cwd: options.cwd ?? process.cwd(), trace: this.profileDir !== null };
    this.slots = new Registry(registry);
    this.plannedAt = this.now();
  }

  /** Threads watched now. */
  get size(): number {
    return this.threads.size;
  }

  /** One look at every thread; resolves to the delay (ms) until the next look is wanted. */
  async tick(): Promise<number> {
    if (this.ticking) return this.intervalMs;
    this.ticking = true;
    try {
      const t0 = this.now();
      // If the watchdog itself did not run (the whole process was stopped), stale beats mean nothing.
      const late = t0 - this.plannedAt;
      const watchdogStalled = late > this.slowMs;
      if (!watchdogStalled) this.lag = this.lag * 0.9 + Math.max(0, late) * 0.1;
      this.scan();
      for (const t of [...this.threads.values()]) await this.check(t, t0, watchdogStalled);
    } catch {
      // never let a capture failure stop the watchdog
    } finally {
      this.ticking = false;
    }
    const t1 = this.now();
    this.plannedAt = Math.max(t1 + 1, this.nextTickAt(t1));
    return this.plannedAt - t1;
  }

  /** Picks up threads that claimed a registry slot since the last look. */
  private scan(): void {
    for (let i = 0, n = this.slots.slotsUsed(); i < n; i++) {
      if (this.threads.has(i)) continue;
      const slot = this.slots.slot(i);
      const threadId = slot.owner();
      if (threadId < 0 || slot.exited()) continue;
      if (this.engine && !this.engine.canCapture(threadId)) continue;
      this.threads.set(i, { index: i, threadId, slot, block: null, nextSampleAt: 0, nextWriteAt: 0, sched: null, split: null, siblings: null, nextSplitAt: 0, rest: null });
    }
  }

  /**
   * When the next tick is wanted: while every thread beats, at the moment the stalest one would reach
   * the threshold (a wake-up per threshold or so, not per heartbeat: the watchdog's wake-ups were most
   * of the agent's CPU in an idle process); while a block is open, every heartbeat (reads and the close
   * are timely); at least every half threshold, to pick up new threads. With the rest sentinel, a
   * resting thread it watches plans nothing, and new threads are picked up when they wake the hub
   * (Registry.claim; the watchdog then ticks), so an idle process's watchdog sleeps.
   */
  private nextTickAt(t0: number): number {
    const scanMs = Math.max(this.intervalMs, this.slowMs / 2);
    let at = t0 + (this.sentinel ? SENTINEL_SCAN_MS : scanMs);
    for (const t of this.threads.values()) {
      // While a block is open, every heartbeat; sooner when its first line may be certain by then.
      if (t.block) {
        const soon = t.nextSplitAt > t0 && !t.block.id ? Math.min(t.nextSplitAt, t0 + this.intervalMs) : t0 + this.intervalMs;
        if (soon < at) at = soon;
        continue;
      }
      const beat = t.slot.lastBeat();
      if (t.slot.exited()) continue;
      if (beat === 0) {
        // Claimed, not beating yet: looked at as often as without the sentinel.
        if (t0 + scanMs < at) at = t0 + scanMs;
        continue;
      }
      // Watched by the sentinel once settled; a settling thread (its slack is 2 ms) is still looked at
      // after restMs, as without it, or a sleep that begins soon after with less CPU goes unseen.
      if (t.rest?.armed && t.rest.settled && !t.rest.wokenAt) continue;
      if (t.rest || t.slot.resting()) {
        // Woken and not beating yet: when it would be blocked; else the next read of its CPU.
        const due = t.rest?.wokenAt ? Math.max(t0 + 1, t.rest.wokenAt + this.slowMs) : t0 + this.restMs;
        if (due < at) at = due;
        continue;
      }
      // Already past the threshold but not opened (claimed by the thread, or the watchdog stalled).
      const due = beat + this.slowMs > t0 ? beat + this.slowMs : t0 + this.intervalMs;
      if (due < at) at = due;
    }
    return at;
  }

  /** One thread at one tick: close its block when the loop turned, read it when due, or open one. */
  private async check(t: Watched, t0: number, watchdogStalled: boolean): Promise<void> {
    const beat = t.slot.lastBeat();
    const exited = t.slot.exited();
    const b = t.block;
    if (b) {
      // The loop turned when the thread beat again (its generation moved).
      const turned = t.slot.gen() !== b.gen;
      if (turned || exited) this.close(t, turned ? beat : t0);
      else if (t0 >= t.nextSampleAt) await this.step(t, b);
      // Not written yet, only because the thread's time had not certainly reached the threshold at the
      // last read: written as soon as it has, with the reads so far (the next read may be 20 ms off).
      else if (!b.id && t.split && t.nextSplitAt > 0 && t0 >= t.nextSplitAt) this.writeIfDue(t, b, this.now());
    } else if (!exited && beat !== 0 && t.slot.resting()) {
      await this.watchResting(t, watchdogStalled);
    } else if (!exited && beat !== 0 && !watchdogStalled && this.now() - beat >= this.slowMs) {
      // Judged at now, not at the tick's start: the reads of the threads before this one took time.
      // The thread counts a gap itself when it turns first (see heartbeat.ts): one owner per gap.
      const gen = t.slot.gen();
      if (t.slot.lastBeat() === beat && t.slot.claimGap(gen)) await this.open(t, beat, gen);
    }
    if (t.rest && (t.block || exited || !t.slot.resting())) this.endRest(t);
    if (exited && !t.block && this.canRelease(t.slot)) this.forget(t);
  }

  /**
   * A resting thread: its CPU time, read at every look, says whether anything ran since the last. When
   * it moved (and the thread is not back in its loop's poll), the thread is woken; if it has not beaten
   * within the threshold of that, the gap is opened like any other, from when it began to run (as its
   * CPU time says: the turn it is stuck in began then or later, so the gap may be longer than the turn
   * by at most one look's interval, never shorter than the threshold).
   */
  private async watchResting(t: Watched, watchdogStalled: boolean): Promise<void> {
    const at = this.now();
    const r = t.rest;
    if (!r) {
      const reader = this.sched?.open(t.slot.kernelThread()) ?? null;
      const first = reader?.read(at, true) ?? null;
      if (!reader || !first) {
        // It cannot be watched resting: it is told to keep beating, and woken to do so.
        reader?.close();
        t.slot.forbidRest();
        this.wake(t.slot, t.threadId);
        return;
      }
      t.rest = { reader, idle: first, gen: t.slot.gen(), settled: false, loopPoll: null, wokenAt: 0, runningSince: 0, armed: false };
      // Where the thread stamps its CPU at each beat: what it used since its last beat ran after it.
      const beatCpu = t.slot.beatCpuMs();
      if (beatCpu !== null && first.cpuMs - beatCpu > 1) this.wakeRunning(t, t.rest, t.slot.lastBeat());
      else this.arm(t, t.rest, SETTLING_CPU_MS);
      return;
    }
    r.armed = false;
    const reading = r.reader.read(at, true);
    if (!reading) return;
    const gen = t.slot.gen();
    if (gen !== r.gen) {
      // A rest beat: the thread turned its loop and found it idle.
      Object.assign(r, { idle: reading, gen, settled: false, wokenAt: 0, runningSince: 0 });
      this.arm(t, r, SETTLING_CPU_MS);
      return;
    }
    if (!r.wokenAt) {
      const cpuMs = reading.cpuMs - r.idle.cpuMs;
      const usedMs = cpuMs + (reading.waitMs - r.idle.waitMs);
      if (r.settled ? usedMs <= IDLE_CPU_MS : cpuMs <= SETTLING_CPU_MS) {
        r.idle = reading;
        if (!r.settled) r.loopPoll ??= epollCall(r.reader.syscall?.() ?? null);
        r.settled = true;
        this.arm(t, r, IDLE_CPU_MS);
        return;
      }
      // A short callback that already ended: the thread is back in its loop's poll. (With the sentinel
      // a settling thread is not looked at again unless it ran on: its poll is learnt from where it is.)
      // Not handed back to the sentinel at once: a loop that runs short callbacks all the time would
      // call the watchdog at every poll; it is looked at every restMs, as without the sentinel, until idle.
      if (this.sentinel && !r.settled) r.loopPoll ??= epollCall(r.reader.syscall?.() ?? null);
      if ((r.settled || this.sentinel) && r.loopPoll && r.reader.syscall?.() === r.loopPoll) {
        r.idle = reading;
        r.settled = true;
        return;
      }
      // It ran (or waited for a CPU to run) for usedMs: since then at the earliest.
      this.wakeRunning(t, r, Math.max(r.idle.at, at - usedMs));
      return;
    }
    // Blocked once it has not turned its loop for the threshold since it was woken: the turn it is in
    // began before that. (Sooner, it may be in the last of many short turns since runningSince.)
    if (watchdogStalled || at - r.wokenAt < this.slowMs) return;
    if (t.slot.gen() === gen && t.slot.claimGap(gen)) {
      const { runningSince, idle } = r;
      this.endRest(t);
      await this.open(t, runningSince, gen, idle.cpuMs);
    }
  }

  private wakeRunning(t: Watched, r: RestWatch, since: number): void {
    r.wokenAt = this.now();
    r.runningSince = since;
    this.wake(t.slot, t.threadId);
  }

  private endRest(t: Watched): void {
    // Always told: a look since the last arm leaves it armed there (a later call is only a spare tick).
    if (t.rest) this.sentinel?.unwatch(t.slot.kernelThread());
    t.rest?.reader.close();
    t.rest = null;
  }

  /** Hands a resting thread to the sentinel: it calls once the thread ran `slackMs` more (else polled). */
  private arm(t: Watched, r: RestWatch, slackMs: number): void {
    if (!this.sentinel) return;
    try {
      r.armed = this.sentinel.watch(t.slot.kernelThread(), slackMs * 1000);
    } catch {
      r.armed = false;
    }
    if (r.armed && !t.slot.restWatched()) t.slot.markRestWatched();
  }

  /** `beatCpuMs`: the thread's CPU at `beat` where the watchdog read it (a resting thread), else its stamp. */
  private async open(t: Watched, beat: number, gen: number, beatCpuMs?: number): Promise<void> {
    const b = new OpenBlock(beat, gen, this.rules, (frames) => this.requestMaps(t, frames));
    b.beforeFirstTurn = !t.slot.hasTurned();
    t.block = b;
    t.nextSampleAt = 0;
    t.nextWriteAt = 0;
    t.slot.openGap(beat);
    // Before the first stack read: a thread outside JavaScript answers it only when it comes back.
    this.startSplit(t, b, beatCpuMs);
    await this.step(t, b);
    if (this.probe && t.block === b) this.askCallback(t, b, this.probe);
  }

  /** A read, then the block is written when it is found and again at each write time while it lasts. */
  private async step(t: Watched, b: OpenBlock): Promise<void> {
    if (!(await this.sample(t, b)) || t.block !== b) return;
    const at = this.now();
    // The inspector engine pauses the thread under a debugger for each read: only at the writes.
    t.nextSampleAt = this.engine?.name === 'inspector' ? Math.max(at + this.sampleMs, t.nextWriteAt) : at + this.sampleMs;
    this.writeIfDue(t, b, at);
  }

  /** The ongoing line, when the block is found (named, the threshold certainly reached) or a write is due. */
  private writeIfDue(t: Watched, b: OpenBlock, at: number): void {
    if (!b.named || at - b.appStart < this.slowMs) return;
    // A read answered late, after the loop turned: the gap is over, its close writes the final line.
    if (t.slot.gen() !== b.gen) return;
    if (!b.id || at >= t.nextWriteAt) {
      if (!this.certainlyBlocked(t, b, at)) return;
      this.write(t, b, at, true, this.ongoingSplit(t, b, at));
      t.nextWriteAt = b.beat + nextSampleDelay(at - b.beat, this.slowMs);
    }
  }

  /** Reads the stack once; false when the block is over (the sample then belongs to the next turn). */
  private async sample(t: Watched, b: OpenBlock): Promise<boolean> {
    const engine = this.engine;
    if (!engine) return true;
    if (t.slot.gen() !== b.gen) return false;
    // The only thread read: a late answer is its own, and the kernel can say whether it was kept
    // waiting for a CPU meanwhile (the reader waits for every thread it lists, so with more threads a
    // late read may be another's).
    const before = this.threads.size === 1 ? (t.sched?.read(this.now(), true) ?? null) : null;
    const ownBefore = before ? (this.sched?.ownWaitMs?.() ?? null) : null;
    const t0 = this.now();
    const raw = await engine.capture(t.threadId, b.beat);
    const t1 = this.now();
    // Not read now (a thread is leaving the native reader's list: stack/native-engine.ts): at the next sample.
    if (raw === undefined) return true;
    if (raw === null) {
      if (engine.name === 'native' && t.threadId !== 0) {
        // The native registry no longer has this thread: it was terminated. A block already written ended
        // then, and gets its final line (else its ongoing line stays its last: `8.27 s+` in a summary);
        // one not yet written was no block.
        if (b.id && t.block === b) this.close(t, t1);
        t.block = null;
        this.forget(t);
        return false;
      }
      return true;
    }
    // The agent's own work (its exit hook, run from Node's exit code): the app's part of the gap is
    // over, and this read is not start-up either (it would move the block's start past the app's part).
    if (agentsOwn({ frames: toFrames(raw) })) return false;
    const late = t1 - t0 > this.lateMs + 2 * this.lag;
    const request = requestStateFrom(engine.stateOf?.(t.threadId));
    const outside = late && before ? this.waitedOutsideJs(t, before, ownBefore, t0, t1) : false;
    return b.read({ raw, askedAt: t0, answeredAt: t1, late, starting: !t.slot.hasTurned(), request, ...(outside ? { outside } : {}) });
  }

  /**
   * Whether a late read's wait was the thread's own time outside JavaScript: still late once the
   * watchdog's own wait for a CPU is taken off (it may have seen a prompt answer late), and the thread
   * waited for a CPU less than half of it (JavaScript kept off the CPUs answers late too, at its next
   * instruction). On a CPU or asleep the rest of the time, it was in a native call, JSON, a regular
   * expression, compilation or garbage collection: JavaScript answers a read within microseconds.
   */
  private waitedOutsideJs(t: Watched, before: SchedReading, ownBefore: number | null, t0: number, t1: number): boolean {
    const after = t.sched?.read(t1, true) ?? null;
    if (!after) return false;
    const ownAfter = ownBefore === null ? null : (this.sched?.ownWaitMs?.() ?? null);
    const ownWaitMs = ownBefore !== null && ownAfter !== null ? Math.max(0, ownAfter - ownBefore) : 0;
    const wallMs = t1 - t0 - ownWaitMs;
    if (wallMs <= this.lateMs + 2 * this.lag) return false;
    return (after.waitMs - before.waitMs) * 2 < wallMs;
  }

  /**
   * The loop turned (or the thread exited) at `end`. The gap is a block when the app's part of it
   * reached the threshold in the thread's own time; else it was start-up, starvation, or the idle
   * stretch at exit, which the summary counts (and a block written while it went on is withdrawn).
   */
  private close(t: Watched, end: number): void {
    const b = t.block;
    if (!b) return;
    t.block = null;
    const gap = this.endSplit(t, b, end);
    const appMs = Math.round(end - b.appStart);
    const split = gap ? roundSplit(ownSleep(b, appPart(gap, appMs))) : null;
    t.slot.addStartupMs(b.startupMs);
    if (gap) t.slot.addStarvedMs(gap.starvedMs);
    const isBlock = isActiveBlock(appMs, split, this.slowMs);
    const starved = !isBlock && split !== null && appMs >= this.slowMs;
    if (starved) t.slot.countStarvedGap();
    if (b.named) {
      if (isBlock) {
        t.slot.noteBlockMs(appMs);
        this.writeProfile(t, b, end);
        this.write(t, b, end, false, split);
      } else if (b.id) {
        this.withdraw(t, b, end, split);
      }
    } else if (b.startupMs === 0 || appMs >= this.slowMs) {
      if (t.slot.atExitBeat() && !inCallback(b.lastUnnamed)) t.slot.addExitIdleMs(appMs);
      // Begun before the first turn (the thread may have turned by now: a read answered only in the
      // first tick's dispatch, or none) with no application frame read: nobody can say the app ran.
      else if (isBlock && !b.beforeFirstTurn && !agentsOwn(b.lastUnnamed)) this.writeSiteless(t, b, end, split);
      else if (!starved) t.slot.countUnnamedGap(appMs);
    }
    t.slot.closeGap();
  }

  private writeProfile(t: Watched, b: OpenBlock, end: number): void {
    if (!this.profileDir || end - b.appStart < 3 * this.slowMs) return;
    const samples = b.profileSamples();
    if (samples.length) b.cpuprofile = writeCpuProfile(this.profileDir, this.ensureId(t, b), buildCpuProfile(samples, b.appStart, end));
  }

  private write(t: Watched, b: OpenBlock, end: number, ongoing: boolean, split: GapSplitMs | null): void {
    this.ensureId(t, b);
    const f = b.finding(end, ongoing, t.threadId, t.slot.readName());
    if (!f) return;
    addBlockFacts(f, this.slowMs, split, f.origin?.type === 'module-load' || b.loadingShare() > 0.5);
    this.emit(f);
  }

  /** The final line of a block written while it went on that turned out under the threshold. */
  private withdraw(t: Watched, b: OpenBlock, end: number, split: GapSplitMs | null): void {
    const f = b.finding(end, false, t.threadId, t.slot.readName());
    if (!f) return;
    addBlockFacts(f, this.slowMs, split, false);
    f.message = withdrawnMessage(threadName(t.threadId, t.slot.readName()), end - b.beat, b.startupMs, f.durationMs, split, this.slowMs);
    this.emit(f);
  }

  /** A block of the threshold after start-up on which no read found an application frame. */
  private writeSiteless(t: Watched, b: OpenBlock, end: number, split: GapSplitMs | null): void {
    const f = sitelessFinding({
      id: this.ensureId(t, b),
      time: b.appStart,
      threadId: t.threadId,
      threadName: t.slot.readName(),
      durationMs: Math.round(end - b.appStart),
      samples: b.samples,
      reason: sitelessReason(b.lastUnnamed, this.engine !== null, b.samples, split),
      frames: b.lastUnnamed?.frames ?? [],
    });
    t.slot.noteBlockMs(f.durationMs);
    addBlockFacts(f, this.slowMs, split, false);
    this.emit(f);
  }

  // --- what the thread did in the gap (cpu-split.ts) ---

  /** Opens the thread's scheduler statistics for this gap and takes the first reading. */
  private startSplit(t: Watched, b: OpenBlock, beatCpuMs?: number): void {
    t.sched?.close();
    t.sched = null;
    t.split = null;
    t.siblings = null;
    t.nextSplitAt = 0;
    const reader = this.sched?.open(t.slot.kernelThread()) ?? null;
    const first = this.readSched(t, reader, this.now());
    if (!reader || !first) {
      reader?.close();
      return;
    }
    t.sched = reader;
    t.split = new GapSplit(b.beat, beatCpuMs ?? t.slot.beatCpuMs(), first);
    t.siblings = this.sched?.siblings?.(t.slot.kernelThread()) ?? null;
  }

  /** A fresh reading into the gap's split; false when there is none to take. */
  private readSplit(t: Watched, at: number): boolean {
    const r = this.readSched(t, t.sched, at);
    if (!r || !t.split) return false;
    t.split.add(r);
    return true;
  }

  /**
   * A reading of a blocked thread's statistics, its CPU time from the thread's CPU clock where the rest
   * sentinel's binary loads: the kernel's count adds a running thread's time only at each scheduler tick
   * (4-10 ms), the clock is up to date. Its wait (added when the thread gets a CPU) is current while it
   * runs, so the two agree; the first line then comes up to a tick sooner, and says what the bound saw.
   */
  private readSched(t: Watched, reader: SchedReader | null | undefined, at: number): SchedReading | null {
    const r = reader?.read(at) ?? null;
    if (!r) return null;
    const clock = this.sentinel?.cpuMs(t.slot.kernelThread()) ?? null;
    return clock !== null && clock > r.cpuMs ? { ...r, cpuMs: clock } : r;
  }

  /**
   * Whether a line may say the thread is blocked: always where the kernel cannot tell (the wall clock
   * rules); else once the thread's own time in the app's part of the gap certainly reached the threshold,
   * so that no final line can contradict it. Reads the statistics no more often than that can change.
   */
  private certainlyBlocked(t: Watched, b: OpenBlock, at: number): boolean {
    if (!t.split) return true;
    if (b.id) {
      this.readSplit(t, at);
      return true;
    }
    if (at < t.nextSplitAt) return false;
    this.readSplit(t, at);
    // Start-up inside the gap may have been all on a CPU: it is taken off the bound.
    const siblingWaitMs = t.split.siblingWaitOver(at, t.siblings?.maxWaitMs() ?? 0);
    let bound = t.split.activeLowerBound(siblingWaitMs) - (b.appStart - b.beat);
    // Kept off the CPUs half the gap so far or more: its sleep is the machine's too (chargeStarvedSleep).
    if (bound >= this.slowMs && !b.inSyncApi && isMostlyStarved(this.appSplit(t, b, at, siblingWaitMs))) bound = t.split.cpuLowerBound() - (b.appStart - b.beat);
    if (bound >= this.slowMs) return true;
    // The bound grows by at most the time that passes: not sooner than the shortfall (checked at ticks).
    t.nextSplitAt = at + Math.max(1, this.slowMs - bound);
    return false;
  }

  /** The split of the gap as of `at`, for an ongoing line. */
  private ongoingSplit(t: Watched, b: OpenBlock, at: number): GapSplitMs | null {
    if (!t.split) return null;
    return roundSplit(this.appSplit(t, b, at, t.split.siblingWaitOver(at, t.siblings?.maxWaitMs() ?? 0)));
  }

  /** The split of the app's part of the gap as of `at`, as the lines give it. */
  private appSplit(t: Watched, b: OpenBlock, at: number, siblingWaitMs: number): GapSplitMs {
    const split = t.split as GapSplit;
    return ownSleep(b, appPart(chargeSiblingWaits(split.estimate(at, null), siblingWaitMs), at - b.appStart));
  }

  /** The last reading, at the close; the split of the whole gap up to the beat that ended it. */
  private endSplit(t: Watched, b: OpenBlock, end: number): GapSplitMs | null {
    const split = t.split;
    if (!split) return null;
    this.readSplit(t, this.now());
    t.sched?.close();
    t.sched = null;
    t.split = null;
    // The beat that ended the gap stamped the thread's CPU (unless the thread exited without one).
    const byBeat = t.slot.lastBeat() === end;
    if (byBeat) split.endedByBeat(end);
    const siblingWaitMs = split.siblingWaitOver(end, t.siblings?.maxWaitMs() ?? 0);
    t.siblings = null;
    return chargeSiblingWaits(split.estimate(end, byBeat ? t.slot.beatCpuMs() : null), siblingWaitMs);
  }

  private ensureId(t: Watched, b: OpenBlock): string {
    if (!b.id) {
      b.id = `block-${t.threadId}-${++this.counter}`;
      t.slot.countBlock();
    }
    return b.id;
  }

  /** Asks the thread for the in-memory source map of the first app file that may need one. */
  private requestMaps(t: Watched, frames: Frame[]): void {
    if (t.slot.mapRequested()) return;
    const file = fileNeedingThreadMap(frames, isAppFrame);
    if (file) t.slot.requestMap(file);
  }

  /**
   * Not awaited: a thread in native code answers only once back in JavaScript. An answer is taken only
   * while the same block is open, from the same loop turn, and from the same callback the stack reads
   * saw (the block checks the last two).
   */
  private askCallback(t: Watched, b: OpenBlock, probe: Probe): void {
    void probe(t.threadId).then((answer) => {
      if (!answer || t.block !== b || t.slot.gen() !== b.gen) return;
      b.takeCallback(answer);
    }, () => {});
  }

  private forget(t: Watched): void {
    this.endRest(t);
    t.sched?.close();
    t.sched = null;
    t.split = null;
    t.siblings = null;
    this.threads.delete(t.index);
    t.slot.release();
  }
}
