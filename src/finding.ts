// The JSON Lines contract v1 (docs/report-format.md). Tools outside this repo parse it: add, never break.
import { threadId as currentThreadId } from 'node:worker_threads';
import { now, pid } from './original.js';

export const CONTRACT_VERSION = 1 as const;

export type FindingKind =
  | 'block'
  | 'sync-io'
  | 'unawaited'
  | 'unhandled-rejection'
  | 'never-settled'
  | 'atomics-wait'
  | 'threadpool-saturation'
  | 'large-message'
  | 'summary';

export interface Frame {
  /** Absolute path (file: URLs converted), or a `node:` specifier for Node internals. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  function: string;
  /** Extension: true when this is a position in code transpiled in memory whose map was not had yet. */
  generated?: true;
}

/** Debug mode, main thread: the callback that was running during the block, as the thread answered. */
export interface BlockCallback {
  type: 'timer' | 'interval' | 'immediate' | 'http-request' | 'promise' | 'next-tick' | 'async-resource' | 'io';
  /** `setTimeout`/`setInterval`/`setImmediate`, the request (`GET /path`), or the I/O resource (`FSReqCallback`). */
  api?: string;
  /** Where the callback was scheduled (timers and immediates), innermost first; empty when not known. */
  scheduledAt: Frame[];
}

/** What the blocking callback was, or what kept the loop while it ran (contract `origin`). */
export interface BlockOrigin {
  /** `sync-api` (a synchronous API in flight), `module-load` (a lazy require/import after start-up),
   *  `native` (time outside JavaScript in a call from the site: a native addon, compilation); in debug
   *  mode, when none of these, the kind of callback (BlockCallback's types), `frames` where it was scheduled. */
  type: 'sync-api' | 'module-load' | 'native' | BlockCallback['type'];
  api?: string;
  frames: Frame[];
  /** For `native`: the last site seen before the thread left JavaScript, in the same callback. */
  after?: Frame;
}

/** One way into a profile entry's site: the caller where the paths into the site differ (contract `paths`). */
export interface PathShare {
  /** The first application frame, outward from the site, where the ways into it differ. */
  caller: Frame;
  samples: number;
  /** Of the whole block, like the entry's `share`. */
  share: number;
}

/** One site the blocked thread was seen at, with its share of the block's time (contract `profile`). */
export interface ProfileEntry {
  site: Frame;
  samples: number;
  share: number;
  /** Extension: when the reads came into the site by more than one way, each caller's share, heaviest first. */
  paths?: PathShare[];
}

export interface FindingBase {
  v: typeof CONTRACT_VERSION;
  /** Unique within the process; a later line with the same id supersedes the earlier one. */
  id: string;
  kind: FindingKind;
  /** Epoch ms when the thing began. */
  time: number;
  pid: number;
  /** 0 = main thread. */
  threadId: number;
  message: string;
  /** The first frame in application code, or null. */
  site: Frame | null;
  /** Innermost first, source-mapped. */
  frames: Frame[];
  /** Extension: the `name` the app gave the Worker whose finding this is (its blocks too, made by the watchdog). */
  threadName?: string;
}

export interface BlockFinding extends FindingBase {
  kind: 'block';
  durationMs: number;
  /** True while the loop is still blocked. */
  ongoing: boolean;
  /** How many stack samples the watchdog took during this block (extension). */
  samples?: number;
  origin?: BlockOrigin;
  /** The sites the thread was seen at, heaviest first; `site` is the heaviest. */
  profile?: ProfileEntry[];
  /** Extension: the heavy caller of `site` when it was reached by more than one way (`profile[0].paths[0].caller`). */
  caller?: Frame;
  /** Extension: path of the block's `.cpuprofile` (ASYNC_DEBUG_CPUPROFILE_DIR, blocks of 3 thresholds or more). */
  cpuprofile?: string;
  /** Extension, debug mode, main thread: the callback that blocked, and where it was scheduled. */
  callback?: BlockCallback;
  /** Extension: the threshold (ASYNC_DEBUG_SLOW_MS) the block was judged by; a line under it is no block. */
  thresholdMs?: number;
  /** Extension (Linux): of `durationMs`, ms the thread ran on a CPU, slept off one (sync I/O, a wait),
   *  and waited for one (starved: not the app's doing). A block is cpuMs + sleepMs of the threshold. */
  cpuMs?: number;
  sleepMs?: number;
  starvedMs?: number;
  /** Extension: `module-load` when most of the block was loading modules after start-up (a warm-up). */
  phase?: 'module-load';
  /** Extension: why a block has no `site` (no application frame was on any stack read). */
  reason?: string;
  /** Extension: the HTTP request whose callbacks held the loop longest in the block (request-state.ts). */
  request?: BlockRequest;
  /** Extension: when callbacks of more than one request ran in the block, each with its part, in the order they ran. */
  requests?: BlockRequestPart[];
}

/** The request behind a block (contract `request`): never its query string, headers or body. */
export interface BlockRequest {
  method: string;
  /** The framework's route pattern (`/users/:id`) when its router matched one, else the URL's path. */
  route: string;
  /** Where `route` came from: the framework's router (express, fastify), or the URL's path. */
  routeFrom: 'framework' | 'path';
  /** The app's OpenTelemetry server span of the request, when the app traces with OpenTelemetry. */
  traceId?: string;
  spanId?: string;
}

/** Whether a value read from a report is a block's `request` (or one of its `requests`): what every reader checks. */
export function isBlockRequest(v: unknown): v is BlockRequest {
  const r = v as BlockRequest | null;
  return !!r && typeof r === 'object' && typeof r.method === 'string' && typeof r.route === 'string';
}

/** One request's part of a block (contract `requests`). */
export interface BlockRequestPart extends BlockRequest {
  /** When its first callback in the block was seen running (epoch ms), and the ms its callbacks held the loop. */
  time: number;
  durationMs: number;
}

export interface SummaryFinding extends FindingBase {
  kind: 'summary';
  loopDelay: { p50: number; p99: number; max: number };
  elu: number;
  counts: Partial<Record<FindingKind, number>>;
  /** Extension: ms the loop was blocked by module loading before the app ran (not reported as blocks). */
  startupBlockMs: number;
  /** Extension: the mode the agent ran in. */
  mode: 'default' | 'debug';
  /** Extension: gaps of the loop no application frame could be named for (not findings): how many, ms. */
  unnamedBlocks: number;
  unnamedBlockMs: number;
  /** Extension: ms the thread sat outside JavaScript at exit while Node drained V8's tasks (not a block). */
  exitIdleMs: number;
  /** Extension (Linux): ms the thread waited for a CPU inside gaps of its loop of the threshold, and how many
   *  such gaps were no block because of it (not findings); absent in reports of earlier versions. */
  starvedMs?: number;
  starvedGaps?: number;
  /** Extension: findings of this thread that the hub never received (its queue was full); absent when 0. */
  droppedFindings?: number;
}

export interface OtherFinding extends FindingBase {
  kind: Exclude<FindingKind, 'block' | 'summary'>;
  [extra: string]: unknown;
}

export type Finding = BlockFinding | SummaryFinding | OtherFinding;

/**
 * Records of the JSON Lines report that are not findings (docs/report-format.md, "Records of the report"):
 * the envelope of a finding, with a kind no finding has. Made by the json reporter, never by a detector.
 */
export interface ReportRecordBase extends Omit<FindingBase, 'kind'> {
  kind: 'aggregate' | 'dropped';
}

/** The findings at one site past its first ones in full, rewritten under one id as they come. */
export interface AggregateRecord extends ReportRecordBase {
  kind: 'aggregate';
  /** The kind of the findings counted here. */
  of: string;
  count: number;
  /** Their durations summed, and the longest (0 for kinds without one). */
  totalMs: number;
  worstMs: number;
  /** When the latest one counted began (epoch ms); `time` is the first. */
  lastTime: number;
  /** `module-load` when the findings counted here were module loading after start-up (kept apart). */
  phase?: 'module-load';
}

/** What the process's cap on its report left out (one per process, rewritten). */
export interface DroppedRecord extends ReportRecordBase {
  kind: 'dropped';
  capBytes: number;
  droppedLines: number;
  /** Lines left out, per kind (`other` for a kind not listed). */
  dropped: Record<string, number>;
}


/** The fields a detector gives; the envelope (v, kind, pid, and by default time and threadId) is added. */
export type FindingFields<T extends Finding> = Omit<T, 'v' | 'kind' | 'pid' | 'threadId' | 'time'> & { threadId?: number; time?: number };

/** The one way findings are made: the contract's envelope first, then the detector's fields. */
export function makeFinding<T extends Finding = OtherFinding>(kind: T['kind'], fields: FindingFields<T>): T {
  const { id, threadId, time, ...rest } = fields as FindingFields<T> & { id: string };
  return { v: CONTRACT_VERSION, id, kind, time: time ?? now(), pid, threadId: threadId ?? currentThreadId, ...rest } as unknown as T;
}

// Whether a block line is a block: its duration, and where the watchdog could tell what the thread did,
// its time on a CPU or asleep (not waiting for one), reached the threshold it was judged by. A final
// line under it withdraws a block reported while it went on (the gap turned out to be start-up). Read
// from report files too: every field may be missing or of the wrong type.

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export interface BlockTimes {
  durationMs?: unknown;
  thresholdMs?: unknown;
  cpuMs?: unknown;
  sleepMs?: unknown;
}

/** True for a block line that met its threshold, and for one written before lines said their threshold. */
export function metThreshold(f: BlockTimes): boolean {
  const threshold = num(f.thresholdMs);
  if (threshold === null) return true;
  if ((num(f.durationMs) ?? 0) < threshold) return false;
  const cpu = num(f.cpuMs);
  const sleep = num(f.sleepMs);
  return cpu === null || sleep === null || cpu + sleep >= threshold;
}
