// The watchdog half of the block detector. It runs in the watchdog worker and reads every thread's
// heartbeat slot. When a loop has not turned for slowMs it samples that thread's live stack through
// the block (every sampleMs), weighs each sample by the time it stands for, and writes a `block`
// finding named by the site that held the loop longest, with the samples as `profile`. The blocked
// thread itself does nothing.
//
// What a sample means (the stack reader interrupts the thread at its next JavaScript instruction):
// - answered at once: the thread is running that JavaScript;
// - answered late: the thread was outside JavaScript (a native call, JSON, a regular expression,
//   compilation, or Node's own code between callbacks) and the stack is where it came back. With an
//   application frame on it, the time away was a call from that code; without, nobody can name it;
// - taken in the heartbeat: the loop already turned; it belongs to the next turn and is dropped.
// A gap no application frame can be named for (Node draining V8's tasks at exit, a thread starved of
// CPU) is not a finding: the thread's summary counts it.
import { makeFinding, type BlockCallback, type BlockFinding, type BlockOrigin, type Finding, type Frame, type ProfileEntry } from '../../finding.js';
import type { Probe } from '../scheduling/watchdog.js';
import type { RawRow } from '../scheduling/probe.js';
import { isAppFrame, isHeartbeat, isLazyLoading, isModuleLoading, siteOf, syncApiOf, toFrames, type RawFrame } from '../../frames/frames.js';
import { mayNeedThreadMap } from '../../frames/source-maps.js';
import type { StackEngine } from '../../stack/engine.js';
import { buildCpuProfile, writeCpuProfile, type ProfileSample } from './cpuprofile.js';
import { callbackText, formatDuration, threadName, where } from '../../wording.js';
import {
  BEAT,
  BLOCKS,
  CLOSED_SIGNAL,
  EXITED,
  EXIT_GEN,
  EXIT_IDLE_MS,
  GEN,
  MAILBOX_BYTES,
  MAP_REQUEST,
  MAX_THREADS,
  OPEN_BLOCK,
  STARTUP_MS,
  TURNED,
  UNNAMED_COUNT,
  UNNAMED_MS,
  WORST_MS,
  claimGap,
  readSlotName,
  registrySlot,
  releaseSlot,
  slotOwner,
  slotsUsed,
  type ThreadSlot,
} from '../../watchdog/registry.js';

interface SiteWeight {
  /** The latest stack at this site, as read (mapped when written: a thread's map may arrive meanwhile). */
  raw: RawFrame[];
  /** Frames inside the agent's sync-API wrapper, dropped from what is reported. */
  skip: number;
  samples: number;
  ms: number;
  /** Of `ms`: time outside JavaScript (late samples), and time in the module loader. */
  nativeMs: number;
  loadingMs: number;
  api: string | undefined;
  /** For time outside JavaScript: the site seen just before it, in the same callback. */
  after: Frame | null;
}

function rawOf([file, line, column, fn]: RawRow): RawFrame {
  return { file: file ?? '', line: line ?? 0, column: column ?? 0, function: fn ?? '' };
}

function originOf(s: SiteWeight): BlockOrigin['type'] | undefined {
  if (s.api) return 'sync-api';
  if (s.loadingMs * 2 > s.ms) return 'module-load';
  if (s.nativeMs * 2 > s.ms) return 'native';
  return undefined;
}

interface OpenBlock {
  /** The last heartbeat before the gap, and its generation. */
  beat: number;
  gen: number;
  /** When the app's part of the gap began: the beat, or where start-up inside the gap ended. */
  appStart: number;
  lastSampleAt: number;
  nextSampleAt: number;
  startupMs: number;
  unnamedMs: number;
  sites: Map<string, SiteWeight>;
  samples: number;
  /** Outermost frame of the prompt samples: the callback that is running; and the last prompt site. */
  outer: string | null;
  lastPrompt: Frame | null;
  lastPromptTop: string | null;
  lastPromptRaw: RawFrame[] | null;
  /** Set once the block has been written. */
  id: string | null;
  /** Every read, for the block's `.cpuprofile` (only with a profile directory). */
  trace: ProfileSample[] | null;
  cpuprofile: string | null;
  nextWriteAt: number;
  /** Debug mode: the running callback, as the thread itself answered the probe. */
  callback: BlockCallback | null;
}

interface Watched {
  index: number;
  threadId: number;
  slot: ThreadSlot;
  block: OpenBlock | null;
}

export interface BlockWatcherOptions {
  /** The process's registry of thread slots (watchdog/registry.ts). */
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
}

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

/** Sites kept per block; the profile lists the heaviest few. */
const MAX_SITES = 32;
/** Reads kept for a block's `.cpuprofile` (about 15 minutes at 10 ms). */
const MAX_TRACE = 100_000;
const PROFILE_SIZE = 5;

function frameKey(f: Frame): string {
  return `${f.file}:${f.line}:${f.column}`;
}

export function createBlockWatcher(options: BlockWatcherOptions) {
  const { registry, slowMs, intervalMs, engine, emit } = options;
  const now = options.now ?? Date.now;
  const cwd = options.cwd ?? process.cwd();
  const profileDir = options.cpuProfileDir ?? null;
  // With a profile to write, read at every tick: the profile's resolution.
  const sampleMs = profileDir ? intervalMs : sampleEvery(slowMs, intervalMs);
  // A thread that answers a stack read later than this was outside JavaScript. Healthy threads answer
  // within a heartbeat (the reader waits for every registered thread), so a few heartbeats of slack.
  const lateMs = Math.max(3 * intervalMs, Math.round(slowMs / 2));
  /** How late the watchdog's own ticks run (smoothed): on a loaded machine every answer is later. */
  let lag = 0;
  const threads = new Map<number, Watched>();
  let counter = 0;
  /** When this tick was planned for (the delay the last tick asked for). */
  let plannedAt = now();
  let ticking = false;

  function heaviest(b: OpenBlock): SiteWeight | null {
    let best: SiteWeight | null = null;
    for (const s of b.sites.values()) if (!best || s.ms > best.ms) best = s;
    return best;
  }

  function message(t: Watched, durationMs: number, ongoing: boolean, top: SiteWeight, site: Frame, total: number): string {
    const thread = threadName(t.threadId, readSlotName(t.slot));
    const head = ongoing
      ? `The event loop of the ${thread} has not turned for ${formatDuration(durationMs)}`
      : `The event loop of the ${thread} was blocked for ${formatDuration(durationMs)}`;
    const at = `${site.function} (${where(site, cwd)})`;
    const share = total > 0 && top.ms < total * 0.9 ? `, ${Math.round((top.ms / total) * 100)}% of it` : '';
    switch (originOf(top)) {
      case 'sync-api':
        return `${head}${share} in ${top.api} called at ${at}.`;
      case 'module-load':
        return `${head}${share} loading a module on first use (a lazy require or import, or Node's own, e.g. undici at the first fetch): a one-time warm-up, at ${at}.`;
      case 'native':
        return top.after
          ? `${head}${share} outside JavaScript (JSON, a regular expression, a native addon or compilation), in a call between ${where(top.after, cwd)} and ${where(site, cwd)}.`
          : `${head}${share} outside JavaScript (JSON, a regular expression, a native addon or compilation), in a call that returned at ${at}.`;
      default:
        return `${head}${share} at ${at}.`;
    }
  }

  /** Frames of a site as reported: mapped now, positions no map could be found for yet marked. */
  function framesOf(s: SiteWeight): { frames: Frame[]; site: Frame | null } {
    const frames = toFrames(s.raw.slice(s.skip)).map((f) => (isAppFrame(f) && mayNeedThreadMap(f.file) ? { ...f, generated: true as const } : f));
    return { frames, site: siteOf(frames) };
  }

  function finding(t: Watched, b: OpenBlock, end: number, ongoing: boolean): BlockFinding | null {
    const top = heaviest(b);
    if (!top) return null;
    const { frames, site } = framesOf(top);
    if (!site) return null;
    const durationMs = Math.round(end - b.appStart);
    let total = b.unnamedMs;
    for (const s of b.sites.values()) total += s.ms;
    const profile: ProfileEntry[] = [];
    for (const s of [...b.sites.values()].sort((x, y) => y.ms - x.ms).slice(0, PROFILE_SIZE)) {
      const at = s === top ? site : framesOf(s).site;
      if (at) profile.push({ site: at, samples: s.samples, share: total > 0 ? Math.round((s.ms / total) * 100) / 100 : 0 });
    }
    const f = makeFinding<BlockFinding>('block', {
      id: b.id as string,
      time: b.appStart,
      threadId: t.threadId,
      message: message(t, durationMs, ongoing, top, site, total),
      site,
      frames,
      durationMs,
      ongoing,
      samples: b.samples,
      profile,
    });
    // The Worker's `name`, as the thread wrote it into its slot: a block is made here, not in the thread.
    const name = readSlotName(t.slot);
    if (name) f.threadName = name;
    if (b.cpuprofile) f.cpuprofile = b.cpuprofile;
    const type = originOf(top);
    if (type) {
      f.origin = { type, frames };
      if (top.api) f.origin.api = top.api;
      if (type === 'native' && top.after) f.origin.after = top.after;
    }
    if (b.callback) {
      f.callback = b.callback;
      // Nothing more specific kept the loop: the blocking callback is the origin, with where it was scheduled.
      f.origin ??= { type: b.callback.type, ...(b.callback.api ? { api: b.callback.api } : {}), frames: b.callback.scheduledAt };
      f.message += ` ${callbackText(b.callback, siteOf(b.callback.scheduledAt), cwd)}`;
    }
    return f;
  }

  function ensureId(t: Watched, b: OpenBlock): string {
    if (!b.id) {
      b.id = `block-${t.threadId}-${++counter}`;
      t.slot.f64[BLOCKS] = (t.slot.f64[BLOCKS] ?? 0) + 1;
    }
    return b.id;
  }

  function write(t: Watched, b: OpenBlock, end: number, ongoing: boolean): void {
    ensureId(t, b);
    const f = finding(t, b, end, ongoing);
    if (f) emit(f);
  }

  /** Asks the thread for the in-memory source map of the first app file that may need one. */
  function requestMaps(t: Watched, frames: Frame[]): void {
    if (Atomics.load(t.slot.i32, MAP_REQUEST) !== 0) return;
    const file = frames.find((f) => isAppFrame(f) && mayNeedThreadMap(f.file))?.file;
    if (!file) return;
    const bytes = Buffer.from(file, 'utf8');
    if (bytes.length > MAILBOX_BYTES) return;
    t.slot.mailbox.set(bytes);
    Atomics.store(t.slot.i32, MAP_REQUEST, bytes.length);
  }

  function credit(t: Watched, b: OpenBlock, raw: RawFrame[], frames: Frame[], weight: number, how: 'js' | 'native', after: Frame | null, read = true): void {
    const api = syncApiOf(frames);
    const loading = isLazyLoading(frames);
    const site = siteOf(api ? frames.slice(api.index + 1) : frames);
    if (!site) {
      b.unnamedMs += weight;
      return;
    }
    requestMaps(t, frames);
    const key = `${api?.api ?? ''} ${frameKey(site)}`;
    let s = b.sites.get(key);
    if (!s) {
      if (b.sites.size >= MAX_SITES) {
        b.unnamedMs += weight;
        return;
      }
      s = { raw, skip: 0, samples: 0, ms: 0, nativeMs: 0, loadingMs: 0, api: api?.api, after: null };
      b.sites.set(key, s);
    }
    if (read) s.samples++;
    s.ms += weight;
    if (how === 'native' && !api) s.nativeMs += weight;
    if (loading) s.loadingMs += weight;
    if (after && frameKey(after) !== frameKey(site)) s.after = after;
    s.raw = raw;
    s.skip = api ? api.index + 1 : 0;
  }

  function addSample(t: Watched, b: OpenBlock, raw: RawFrame[], frames: Frame[], late: boolean, at: number, read = true): void {
    let weight = Math.max(0, at - b.lastSampleAt);
    b.lastSampleAt = at;
    if (read) b.samples++;
    const starting = Atomics.load(t.slot.i32, TURNED) === 0;
    if (frames.length === 0) {
      b.unnamedMs += weight;
      return;
    }
    if (isModuleLoading(frames, starting)) {
      b.startupMs += weight;
      b.appStart = at;
      return;
    }
    // The first read of a thread's first gap, long after it began: the watchdog was still booting.
    // What ran before it is unknown and may have been start-up: not counted against the app.
    if (starting && b.samples === 1 && weight > slowMs + 2 * sampleMs) {
      b.startupMs += weight - sampleMs;
      b.appStart = at - sampleMs;
      weight = sampleMs;
    }
    // A late sample is where the thread came back into JavaScript after a stretch outside it. Node
    // enters a callback through its own dispatch code, so when the stack has an application frame the
    // stretch was a call from that code (a native call, JSON, a regular expression, compilation).
    const outer = frameKey(frames[frames.length - 1] as Frame);
    // Late, but inside application code itself (a loop's back edge, not a callee it returned to), or at
    // the very instruction of the last prompt sample: JavaScript that did not get the CPU in time.
    const top = frames[0] as Frame;
    if (late && (isAppFrame(top) || b.lastPromptTop === frameKey(top))) late = false;
    credit(t, b, raw, frames, weight, late ? 'native' : 'js', late && b.outer === outer ? b.lastPrompt : null, read);
    if (!late) {
      b.outer = outer;
      b.lastPrompt = siteOf(frames);
      b.lastPromptTop = frameKey(frames[0] as Frame);
      b.lastPromptRaw = raw;
    }
  }

  /** Reads the stack once; false when the block is over (the sample then belongs to the next turn). */
  async function sample(t: Watched, b: OpenBlock): Promise<boolean> {
    if (!engine) return true;
    if (Atomics.load(t.slot.i32, GEN) !== b.gen) return false;
    const t0 = now();
    const raw = await engine.capture(t.threadId);
    const t1 = now();
    if (raw === null) {
      if (engine.name === 'native' && t.threadId !== 0) {
        // The native registry no longer has this thread: it was terminated, not blocked.
        t.block = null;
        forget(t);
        return false;
      }
      return true;
    }
    const frames = toFrames(raw);
    if (isHeartbeat(frames)) return false;
    const late = t1 - t0 > lateMs + 2 * lag;
    if (b.trace && b.trace.length < MAX_TRACE) b.trace.push({ frames, at: t1 });
    // A late answer stands for the wait only: before the request the thread was where the last prompt
    // read saw it (it answers at once while it runs JavaScript).
    if (late && b.lastPromptRaw) {
      const prompt = b.lastPromptRaw;
      addSample(t, b, prompt, toFrames(prompt), false, t0, false);
    }
    addSample(t, b, raw, frames, late, t1);
    return true;
  }

  function close(t: Watched, end: number): void {
    const b = t.block;
    if (!b) return;
    t.block = null;
    const appMs = end - b.appStart;
    t.slot.f64[STARTUP_MS] = (t.slot.f64[STARTUP_MS] ?? 0) + b.startupMs;
    if (heaviest(b) && (b.id || appMs >= slowMs)) {
      t.slot.f64[WORST_MS] = Math.max(t.slot.f64[WORST_MS] ?? 0, appMs);
      if (profileDir && b.trace && appMs >= 3 * slowMs) {
        const samples = b.trace.filter((s) => s.at > b.appStart);
        if (samples.length) b.cpuprofile = writeCpuProfile(profileDir, ensureId(t, b), buildCpuProfile(samples, b.appStart, end));
      }
      write(t, b, end, false);
    } else if (b.startupMs === 0 || appMs >= slowMs) {
      const atExit = Atomics.load(t.slot.i32, EXIT_GEN) !== 0 && Atomics.load(t.slot.i32, GEN) === Atomics.load(t.slot.i32, EXIT_GEN);
      if (atExit) t.slot.f64[EXIT_IDLE_MS] = (t.slot.f64[EXIT_IDLE_MS] ?? 0) + appMs;
      else {
        t.slot.f64[UNNAMED_MS] = (t.slot.f64[UNNAMED_MS] ?? 0) + appMs;
        t.slot.f64[UNNAMED_COUNT] = (t.slot.f64[UNNAMED_COUNT] ?? 0) + 1;
      }
    }
    t.slot.f64[OPEN_BLOCK] = 0;
    Atomics.store(t.slot.i32, CLOSED_SIGNAL, 1);
    Atomics.notify(t.slot.i32, CLOSED_SIGNAL);
  }

  async function step(t: Watched, b: OpenBlock): Promise<void> {
    if (!(await sample(t, b)) || t.block !== b) return;
    const at = now();
    // The inspector engine pauses the thread under a debugger for each read: only at the writes.
    b.nextSampleAt = engine?.name === 'inspector' ? Math.max(at + sampleMs, b.nextWriteAt) : at + sampleMs;
    if (!heaviest(b) || at - b.appStart < slowMs) return;
    if (!b.id || at >= b.nextWriteAt) {
      write(t, b, at, true);
      b.nextWriteAt = b.beat + nextSampleDelay(at - b.beat, slowMs);
    }
  }

  async function open(t: Watched, beat: number, gen: number): Promise<void> {
    const b: OpenBlock = {
      beat,
      gen,
      appStart: beat,
      lastSampleAt: beat,
      nextSampleAt: 0,
      startupMs: 0,
      unnamedMs: 0,
      sites: new Map(),
      samples: 0,
      outer: null,
      lastPrompt: null,
      lastPromptTop: null,
      lastPromptRaw: null,
      id: null,
      nextWriteAt: 0,
      trace: profileDir ? [] : null,
      cpuprofile: null,
      callback: null,
    };
    t.block = b;
    t.slot.f64[OPEN_BLOCK] = beat;
    Atomics.store(t.slot.i32, CLOSED_SIGNAL, 0);
    await step(t, b);
    if (options.probe && t.block === b) askCallback(t, b, options.probe);
  }

  /**
   * Not awaited: a thread in native code answers only once back in JavaScript. An answer is taken only
   * while the same block is open, from the same loop turn, and from the same callback the stack reads
   * saw (its outermost frame): never the next callback's.
   */
  function askCallback(t: Watched, b: OpenBlock, probe: Probe): void {
    void probe(t.threadId).then((answer) => {
      if (!answer || t.block !== b || answer.gen !== b.gen || Atomics.load(t.slot.i32, GEN) !== b.gen) return;
      const outer = answer.outer ? toFrames([rawOf(answer.outer)])[0] : undefined;
      if (outer && b.outer && !b.outer.startsWith(`${outer.file}:`)) return;
      b.callback = {
        type: answer.type as BlockCallback['type'],
        ...(answer.api ? { api: answer.api } : {}),
        scheduledAt: toFrames(answer.scheduled.map(rawOf)).filter((f) => f.file),
      };
    }, () => {});
  }

  async function check(t: Watched, t0: number, watchdogStalled: boolean): Promise<void> {
    const beat = t.slot.f64[BEAT] ?? 0;
    const exited = t.slot.f64[EXITED] === 1;
    const b = t.block;
    if (b) {
      if (beat !== b.beat || exited) close(t, exited && beat === b.beat ? t0 : beat);
      else if (t0 >= b.nextSampleAt) await step(t, b);
    } else if (!exited && beat !== 0 && !watchdogStalled && t0 - beat >= slowMs) {
      // The thread counts a gap itself when it turns first (see thread.ts): one owner per gap.
      const gen = Atomics.load(t.slot.i32, GEN);
      if ((t.slot.f64[BEAT] ?? 0) === beat && claimGap(t.slot, gen)) await open(t, beat, gen);
    }
    if (exited && !t.block && (options.canRelease?.(t.slot) ?? true)) forget(t);
  }

  function forget(t: Watched): void {
    threads.delete(t.index);
    releaseSlot(t.slot);
  }

  // Views made once: a scan every tick must not allocate.
  const slots = Array.from({ length: MAX_THREADS }, (_, i) => registrySlot(registry, i));

  /** Picks up threads that claimed a registry slot since the last look. */
  function scan(): void {
    for (let i = 0, n = slotsUsed(registry); i < n; i++) {
      if (threads.has(i)) continue;
      const slot = slots[i] as ThreadSlot;
      const threadId = slotOwner(slot);
      if (threadId < 0 || slot.f64[EXITED] === 1) continue;
      if (engine && !engine.canCapture(threadId)) continue;
      threads.set(i, { index: i, threadId, slot, block: null });
    }
  }

  /**
   * When the next tick is wanted: while every thread beats, at the moment the stalest one would reach
   * the threshold (a wake-up per threshold or so, not per heartbeat: the watchdog's wake-ups were most
   * of the agent's CPU in an idle process); while a block is open, every heartbeat (reads and the close
   * are timely); at least every half threshold, to pick up new threads.
   */
  function nextTickAt(t0: number): number {
    let at = t0 + Math.max(intervalMs, slowMs / 2);
    for (const t of threads.values()) {
      if (t.block) return t0 + intervalMs;
      const beat = t.slot.f64[BEAT] ?? 0;
      if (beat === 0 || t.slot.f64[EXITED] === 1) continue;
      // Already past the threshold but not opened (claimed by the thread, or the watchdog stalled).
      const due = beat + slowMs > t0 ? beat + slowMs : t0 + intervalMs;
      if (due < at) at = due;
    }
    return at;
  }

  /** One look at every thread; resolves to the delay (ms) until the next look is wanted. */
  async function tick(): Promise<number> {
    if (ticking) return intervalMs;
    ticking = true;
    try {
      const t0 = now();
      // If the watchdog itself did not run (the whole process was stopped), stale beats mean nothing.
      const late = t0 - plannedAt;
      const watchdogStalled = late > slowMs;
      if (!watchdogStalled) lag = lag * 0.9 + Math.max(0, late) * 0.1;
      scan();
      for (const t of [...threads.values()]) await check(t, t0, watchdogStalled);
    } catch {
      // never let a capture failure stop the watchdog
    } finally {
      ticking = false;
    }
    const t1 = now();
    plannedAt = Math.max(t1 + 1, nextTickAt(t1));
    return plannedAt - t1;
  }

  return {
    intervalMs,
    tick,
    get size() {
      return threads.size;
    },
  };
}
