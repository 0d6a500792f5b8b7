// One block of one thread, as the watchdog sees it from the stack reads it takes while the loop does
// not turn: each read is weighed by the time since the previous one and credited to the application
// site (file and line) on it, and to the path it came by; the block is named by the site that held the
// loop longest, with its heavy caller where the paths into it differ (call-paths.ts), and the heaviest
// few sites as `profile`. Plain data in (stacks as read, times in epoch ms), a finding out: when to read, the
// thread's slot and the stack reader are the watcher's (block-watcher.ts).
//
// What a read means (the stack reader interrupts the thread at its next JavaScript instruction):
// - answered at once: the thread is running that JavaScript;
// - answered late: the thread was outside JavaScript (a native call, JSON, a regular expression,
//   compilation, or Node's own code between callbacks) and the stack is where it came back. With an
//   application frame on it, the time away was a call from that code; without, nobody can name it;
// - taken in the heartbeat: the loop already turned; it belongs to the next turn and is dropped.
import { makeFinding, type BlockCallback, type BlockFinding, type BlockRequest, type BlockRequestPart, type Frame, type ProfileEntry } from '../../finding.js';
import { requestStateFrom, type RequestState } from '../../request-state.js';
import type { ProbeAnswer, RawRow } from '../scheduling/probe.js';
import { isAppFrame, isHeartbeat, isLazyLoading, isModuleLoading, siteOf, syncApiOf, toFrames, type RawFrame } from '../../frames/frames.js';
import { mayNeedThreadMap } from '../../frames/source-maps.js';
import { isUnderRunner } from '../../frames/runner-maps.js';
import { addPath, splitPaths, type PathGroup, type PathWeight } from './call-paths.js';
import type { ProfileSample } from './cpuprofile.js';
import { callbackText, requestWords, threadName } from '../../wording.js';
import { blockMessage, type SiteOrigin } from './block-message.js';

/** Sites kept per block; the profile lists the heaviest few. */
const MAX_SITES = 32;
/** Reads kept for a block's `.cpuprofile` (about 15 minutes at 10 ms). */
const MAX_TRACE = 100_000;
const PROFILE_SIZE = 5;
/** Requests kept per block (a block of more is rare; the rest count as outside any request). */
const MAX_REQUESTS = 16;

/** What the watcher's settings mean for every block it opens. */
export interface BlockRules {
  slowMs: number;
  /** How often the watcher reads the stack (ms). */
  sampleMs: number;
  /** Paths in messages are relative to it. */
  cwd: string;
  /** Keep every read, for the block's `.cpuprofile`. */
  trace: boolean;
}

/** One read of the blocked thread's stack. */
export interface StackRead {
  /** Innermost first, as the stack reader returned it. */
  raw: RawFrame[];
  /** When the read was asked for, and when the thread answered (epoch ms). */
  askedAt: number;
  answeredAt: number;
  /** Answered too late for the thread to have been running JavaScript (the watcher knows its own lag). */
  late: boolean;
  /**
   * Late, and the lateness was this thread's: it was the only thread read, and it did not wait for a CPU
   * for most of the wait (the kernel's statistics say so), so it was in a call outside JavaScript even
   * where the stack shows an application frame on top (the statement after a `JSON.parse`). Unset where
   * that cannot be told: a late read is then judged by its stack alone.
   */
  outside?: boolean;
  /** The thread's loop has not turned since its entry module ran: it is still starting. */
  starting: boolean;
  /** The HTTP request the interrupted code served, as the stack reader read it from the thread's store. */
  request?: RequestState | undefined;
}

/** One request's part of the block: its latest state (the route may be matched meanwhile), when first seen, its weight. */
interface RequestPart {
  state: RequestState;
  time: number;
  ms: number;
}

const requestOf = (s: RequestState): BlockRequest => ({
  method: s.method,
  route: s.route ?? s.path,
  routeFrom: s.route ? 'framework' : 'path',
  ...(s.traceId && s.spanId ? { traceId: s.traceId, spanId: s.spanId } : {}),
});

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
  /** The paths the reads came into the site by. */
  paths: Map<string, PathWeight>;
}

function originOf(s: SiteWeight): SiteOrigin | undefined {
  if (s.api) return 'sync-api';
  if (s.loadingMs * 2 > s.ms) return 'module-load';
  if (s.nativeMs * 2 > s.ms) return 'native';
  return undefined;
}

function frameKey(f: Frame): string {
  return `${f.file}:${f.line}:${f.column}`;
}

/** A site is a line: reads at two columns of one line (a loop's call and its back edge) are one site. */
function lineKey(f: Frame): string {
  return `${f.file}:${f.line}`;
}

function rawOf([file, line, column, fn]: RawRow): RawFrame {
  return { file: file ?? '', line: line ?? 0, column: column ?? 0, function: fn ?? '' };
}

/** Frames as reported: mapped now, positions no map could be found for yet marked. */
function reported(raw: RawFrame[], runner: boolean): Frame[] {
  return toFrames(raw).map((f) => (isAppFrame(f) && mayNeedThreadMap(f.file, runner) ? { ...f, generated: true as const } : f));
}

/** A site's frames: the latest read's, or of the heavy way into it when the ways differ (its `caller`'s). */
function framesOf(s: SiteWeight): { frames: Frame[]; site: Frame | null; runner: boolean } {
  const heavy = splitPaths(s.paths.values())?.[0];
  const stack = heavy?.caller ? heavy.heaviest.stack.slice(heavy.heaviest.skip) : s.raw.slice(s.skip);
  const runner = isUnderRunner(toFrames(stack));
  const frames = reported(stack, runner);
  return { frames, site: siteOf(frames), runner };
}

/** The callers into a site where its paths differ, heaviest first, as reported (null: from outside the app's code). */
function callersOf(s: SiteWeight, runner: boolean): { caller: Frame | null; group: PathGroup }[] {
  return (splitPaths(s.paths.values()) ?? []).map((group) => ({ caller: group.caller && (reported([group.caller], runner)[0] ?? null), group }));
}

export class OpenBlock {
  /** When the app's part of the gap began: the beat, or where start-up inside the gap ended. */
  appStart: number;
  /** Of the gap: time in start-up (module loading), and time no application frame was seen for. */
  startupMs = 0;
  unnamedMs = 0;
  /** Of `unnamedMs`, the reads under a module loader (Node's ESM loader linking a graph has no app frame). */
  unnamedLoadingMs = 0;
  /** Stack reads taken. */
  samples = 0;
  /** Set (by the watcher) when the gap began before the thread's first loop turn: in its start-up. */
  beforeFirstTurn = false;
  /** Set (by the watcher) once the block is written. */
  id: string | null = null;
  /** The block's `.cpuprofile`, once written. */
  cpuprofile: string | null = null;
  /** Debug mode: the running callback, as the thread itself answered the probe. */
  callback: BlockCallback | null = null;
  /** Debug mode: the request the probe found the blocking callback serving (every Node line). */
  probeRequest: RequestState | null = null;
  /** The last read no application frame was on, and whether it was answered late (a block with no site says why). */
  lastUnnamed: { frames: Frame[]; late: boolean } | null = null;
  private lastSampleAt: number;
  private readonly sites = new Map<string, SiteWeight>();
  /** The reads' weight by request served, and outside any. */
  private readonly requestParts = new Map<number, RequestPart>();
  private outsideRequestsMs = 0;
  /** Outermost frame of the prompt samples: the callback that is running; and the last prompt site. */
  private outer: string | null = null;
  private lastPrompt: Frame | null = null;
  private lastPromptTop: string | null = null;
  private lastPromptRaw: RawFrame[] | null = null;
  /** Every read, for the block's `.cpuprofile` (only when the rules keep them). */
  private readonly trace: ProfileSample[] | null;

  /**
   * The gap after heartbeat `beat` of generation `gen`. `onSite` is told the frames of every read
   * credited to a named site (the watcher asks the thread for their in-memory source maps).
   */
  constructor(
    readonly beat: number,
    readonly gen: number,
    private readonly rules: BlockRules,
    private readonly onSite: (frames: Frame[]) => void = () => {},
  ) {
    this.appStart = beat;
    this.lastSampleAt = beat;
    this.trace = rules.trace ? [] : null;
  }

  /** Whether any read was credited to an application site: only then is the block a finding. */
  get named(): boolean {
    return this.sites.size > 0;
  }

  /** Takes one read; false when it was taken in the heartbeat (the loop turned: the block is over). */
  read(r: StackRead): boolean {
    const frames = toFrames(r.raw);
    if (isHeartbeat(frames)) return false;
    if (this.trace && this.trace.length < MAX_TRACE) this.trace.push({ frames, at: r.answeredAt });
    // A late answer stands for the wait only: before the request the thread was where the last prompt
    // read saw it (it answers at once while it runs JavaScript).
    if (r.late && this.lastPromptRaw) {
      const prompt = this.lastPromptRaw;
      this.addSample(prompt, toFrames(prompt), false, r.askedAt, r.starting, r.request, false);
    }
    this.addSample(r.raw, frames, r.late, r.answeredAt, r.starting, r.request, true, r.outside === true);
    return true;
  }

  /** The reads of the app's part of the block, for its `.cpuprofile` (none unless the rules keep them). */
  profileSamples(): ProfileSample[] {
    return this.trace?.filter((s) => s.at > this.appStart) ?? [];
  }

  /**
   * Debug mode: takes the probe's answer when it is from this block's loop turn and from the callback
   * the stack reads saw (its outermost frame), never the next callback's; false when it is not.
   */
  takeCallback(answer: ProbeAnswer): boolean {
    if (answer.gen !== this.gen) return false;
    const outer = answer.outer ? toFrames([rawOf(answer.outer)])[0] : undefined;
    if (outer && this.outer && !this.outer.startsWith(`${outer.file}:`)) return false;
    this.probeRequest = requestStateFrom(answer.request) ?? null;
    this.callback = {
      type: answer.type as BlockCallback['type'],
      ...(answer.api ? { api: answer.api } : {}),
      scheduledAt: toFrames(answer.scheduled.map(rawOf)).filter((f) => f.file),
    };
    return true;
  }

  /**
   * The finding as of `end` (ongoing: still blocked), named by its heaviest site; null while no read
   * named one. `name` is the Worker's `name`, as the thread wrote it into its slot (a block is made in
   * the watchdog, not in the thread).
   */
  finding(end: number, ongoing: boolean, threadId: number, name: string | undefined): BlockFinding | null {
    const top = this.heaviest();
    if (!top) return null;
    const { frames, site, runner } = framesOf(top);
    if (!site) return null;
    const durationMs = Math.round(end - this.appStart);
    const total = this.weighedMs();
    const type = originOf(top);
    // The heavy caller, when the reads came into the site by more than one way.
    const first = callersOf(top, runner)[0];
    const heavy = first?.caller ? { caller: first.caller, ms: first.group.ms } : null;
    const { request, requests } = this.requestFacts();
    const f = makeFinding<BlockFinding>('block', {
      id: this.id as string,
      time: this.appStart,
      threadId,
      message: blockMessage({
        thread: threadName(threadId, name),
        durationMs, ongoing, site, siteMs: top.ms, totalMs: total, origin: type, api: top.api, after: top.after, cwd: this.rules.cwd,
        caller: heavy?.caller ?? null, callerMs: heavy?.ms ?? 0,
        request: request ? requestWords(request, requests) : undefined,
      }),
      site,
      frames,
      durationMs,
      ongoing,
      samples: this.samples,
      profile: this.profile(top, site, runner, total),
    });
    if (heavy) f.caller = heavy.caller;
    if (request) f.request = request;
    if (requests) f.requests = requests;
    if (name) f.threadName = name;
    if (this.cpuprofile) f.cpuprofile = this.cpuprofile;
    if (type) {
      f.origin = { type, frames };
      if (top.api) f.origin.api = top.api;
      if (type === 'native' && top.after) f.origin.after = top.after;
    }
    const cb = this.callback;
    if (cb) {
      f.callback = cb;
      // Nothing more specific kept the loop: the blocking callback is the origin, with where it was scheduled.
      f.origin ??= { type: cb.type, ...(cb.api ? { api: cb.api } : {}), frames: cb.scheduledAt };
      f.message += ` ${callbackText(cb, siteOf(cb.scheduledAt), this.rules.cwd)}`;
    }
    return f;
  }

  /**
   * Of the time credited to the app's sites, the share (0..1) spent under a module loader; for a block
   * with no app site, of its unnamed reads (an `import()` of a large graph: Node's ESM loader alone).
   */
  loadingShare(): number {
    let loading = 0;
    let total = 0;
    for (const s of this.sites.values()) {
      loading += s.loadingMs;
      total += s.ms;
    }
    if (total > 0) return loading / total;
    return this.unnamedMs > 0 ? this.unnamedLoadingMs / this.unnamedMs : 0;
  }

  /**
   * Whether the block's heaviest site is a synchronous API in flight (readFileSync, Atomics.wait,
   * execSync): its time asleep is then the call's, however long the thread also waited for a CPU.
   */
  get inSyncApi(): boolean {
    return this.heaviest()?.api !== undefined;
  }

  /** Every read's weight since the block began: the shares' whole. */
  private weighedMs(): number {
    let total = this.unnamedMs;
    for (const s of this.sites.values()) total += s.ms;
    return total;
  }

  private heaviest(): SiteWeight | null {
    let best: SiteWeight | null = null;
    for (const s of this.sites.values()) if (!best || s.ms > best.ms) best = s;
    return best;
  }

  /** The heaviest few sites with their share of every read's weight (`top` is named at `site` already). */
  private profile(top: SiteWeight, site: Frame, topRunner: boolean, total: number): ProfileEntry[] {
    const profile: ProfileEntry[] = [];
    const shareOf = (ms: number) => (total > 0 ? Math.round((ms / total) * 100) / 100 : 0);
    for (const s of [...this.sites.values()].sort((x, y) => y.ms - x.ms).slice(0, PROFILE_SIZE)) {
      const { site: at, runner } = s === top ? { site, runner: topRunner } : framesOf(s);
      if (!at) continue;
      const entry: ProfileEntry = { site: at, samples: s.samples, share: shareOf(s.ms) };
      const paths = callersOf(s, runner).flatMap(({ caller, group }) => (caller ? [{ caller, samples: group.samples, share: shareOf(group.ms) }] : []));
      if (paths.length) entry.paths = paths;
      profile.push(entry);
    }
    return profile;
  }

  /** Adds a read's weight to the request it served (or to none), keeping the request's latest state. */
  private creditRequest(request: RequestState | undefined, weight: number, at: number): void {
    const part = request ? this.requestParts.get(request.id) : undefined;
    if (part) {
      part.state = request as RequestState;
      part.ms += weight;
    } else if (request && this.requestParts.size < MAX_REQUESTS) {
      this.requestParts.set(request.id, { state: request, time: at - weight, ms: weight });
    } else {
      this.outsideRequestsMs += weight;
    }
  }

  /**
   * The request behind the block: the one whose callbacks the reads found most, when the reads found
   * requests more than outside any; with each request's part when more than one ran. Where the reader
   * cannot see the store (before Node 24), debug mode's probe answers for the blocking callback.
   */
  private requestFacts(): { request?: BlockRequest; requests?: BlockRequestPart[] } {
    let best: RequestPart | null = null;
    let inRequests = 0;
    for (const p of this.requestParts.values()) {
      inRequests += p.ms;
      if (!best || p.ms > best.ms) best = p;
    }
    if (!best) return this.probeRequest ? { request: requestOf(this.probeRequest) } : {};
    if (inRequests < this.outsideRequestsMs) return {};
    // A request seen on a read or so (the turn passed through its callback) is not one of the parts.
    const parts = [...this.requestParts.values()].filter((p) => p === best || p.ms >= 2 * this.rules.sampleMs);
    if (parts.length === 1) return { request: requestOf(best.state) };
    const requests = parts
      .sort((a, b) => a.time - b.time)
      .map((p): BlockRequestPart => ({ ...requestOf(p.state), time: Math.round(p.time), durationMs: Math.round(p.ms) }));
    return { request: requestOf(best.state), requests };
  }

  /** Weighs one read (`read`: false for the replay of the last prompt read) and credits it. */
  private addSample(raw: RawFrame[], frames: Frame[], late: boolean, at: number, starting: boolean, request: RequestState | undefined, read = true, outside = false): void {
    const { slowMs, sampleMs } = this.rules;
    let weight = Math.max(0, at - this.lastSampleAt);
    this.lastSampleAt = at;
    if (read) this.samples++;
    if (frames.length === 0) {
      this.creditRequest(request, weight, at);
      this.unnamedMs += weight;
      this.lastUnnamed = { frames, late };
      return;
    }
    if (isModuleLoading(frames, starting)) {
      // Start-up, and so was everything weighed before it: the block begins here, and its shares
      // count only what came after (else they would be shares of more than the block).
      this.startupMs += weight + this.weighedMs();
      this.unnamedMs = 0;
      this.unnamedLoadingMs = 0;
      this.sites.clear();
      this.requestParts.clear();
      this.outsideRequestsMs = 0;
      this.outer = this.lastPrompt = this.lastPromptTop = null;
      this.lastPromptRaw = null;
      this.appStart = at;
      return;
    }
    // The first read of a thread's first gap, long after it began: the watchdog was still booting.
    // What ran before it is unknown and may have been start-up: not counted against the app.
    if (starting && this.samples === 1 && weight > slowMs + 2 * sampleMs) {
      this.startupMs += weight - sampleMs;
      this.appStart = at - sampleMs;
      weight = sampleMs;
    }
    // A late sample is where the thread came back into JavaScript after a stretch outside it. Node
    // enters a callback through its own dispatch code, so when the stack has an application frame the
    // stretch was a call from that code (a native call, JSON, a regular expression, compilation).
    const outer = frameKey(frames[frames.length - 1] as Frame);
    // Late, but inside application code itself (a loop's back edge, not a callee it returned to), or at
    // the very instruction of the last prompt sample: JavaScript that did not get the CPU in time, unless
    // the kernel said the thread was not kept waiting (`outside`): V8 answers a read in a native call
    // (JSON.parse) only once it returns, and the next check may be in the app's next statement.
    const top = frames[0] as Frame;
    if (late && !outside && (isAppFrame(top) || this.lastPromptTop === frameKey(top))) late = false;
    this.creditRequest(request, weight, at);
    this.credit(raw, frames, weight, late ? 'native' : 'js', late && this.outer === outer ? this.lastPrompt : null, read);
    if (!late) {
      this.outer = outer;
      this.lastPrompt = siteOf(frames);
      this.lastPromptTop = frameKey(top);
      this.lastPromptRaw = raw;
    }
  }

  /** Adds a read's weight to its site: the call site of a sync API in flight, else the app's frame. */
  private credit(raw: RawFrame[], frames: Frame[], weight: number, how: 'js' | 'native', after: Frame | null, read: boolean): void {
    const api = syncApiOf(frames);
    const loading = isLazyLoading(frames);
    const site = siteOf(api ? frames.slice(api.index + 1) : frames);
    if (!site) {
      this.unnamedMs += weight;
      if (loading) this.unnamedLoadingMs += weight;
      this.lastUnnamed = { frames, late: how === 'native' };
      return;
    }
    this.onSite(frames);
    const key = `${api?.api ?? ''} ${lineKey(site)}`;
    let s = this.sites.get(key);
    if (!s) {
      if (this.sites.size >= MAX_SITES) {
        this.unnamedMs += weight;
        return;
      }
      s = { raw, skip: 0, samples: 0, ms: 0, nativeMs: 0, loadingMs: 0, api: api?.api, after: null, paths: new Map() };
      this.sites.set(key, s);
    }
    const callers: RawFrame[] = [];
    for (let i = frames.indexOf(site) + 1; i < frames.length; i++) if (isAppFrame(frames[i] as Frame)) callers.push(raw[i] as RawFrame);
    addPath(s.paths, callers, raw, api ? api.index + 1 : 0, weight, read);
    if (read) s.samples++;
    s.ms += weight;
    if (how === 'native' && !api) s.nativeMs += weight;
    if (loading) s.loadingMs += weight;
    if (after && lineKey(after) !== lineKey(site)) s.after = after;
    s.raw = raw;
    s.skip = api ? api.index + 1 : 0;
  }
}
