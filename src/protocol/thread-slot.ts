// One thread's slot in the registry (protocol/registry.ts), as a typed view: the thread writes its
// heartbeat, loop health and name here; the watchdog reads them and writes back the block numbers it
// owns. Every number has one writer, named on its method. The heartbeat calls into this view every
// few milliseconds in every thread, so a method here allocates nothing and does what the raw access
// did (one class, made once per slot: its calls stay monomorphic).
import type { LoopDelay, ThreadHealth } from '../thread-health.js';
import { atomicsWait, now as wallNow, pid } from '../original.js';
import {
  BEAT, BEAT_CPU, BLOCKS, CLAIMED, CLAIMING, CLOSED_SIGNAL, DONE, EXITED, EXIT_GEN, EXIT_IDLE_MS, F64_SLOTS, GEN, H_ACTIVE_MS,
  H_ELU, H_IDLE_MS, H_MAX, H_MEAN, H_MIN, H_P50, H_P90, H_P99, H_TIME, I32_OFFSET, I32_SLOTS, KERNEL_TID, MAILBOX_BYTES,
  MAILBOX_OFFSET, MAP_REQUEST, NAME_BYTES, NAME_LENGTH, NAME_OFFSET, NO_REST, OPEN_BLOCK, REST_WATCHED, OWNER, RESTING, WAKE_REQUEST, RING_BYTES, RING_DROPPED,
  RING_OFFSET, RING_READ, RING_WRITE, STARTUP_MS, STARVED_GAPS, STARVED_MS, SYNC_API_COUNT, SYNC_APIS, SYNC_COUNTS_OFFSET,
  SYNC_NAME_BYTES, SYNC_NAMES_OFFSET, TURNED, UNNAMED_COUNT, UNNAMED_MS, WORST_MS,
} from './layout.js';

export class ThreadSlot {
  /** The raw views: only src/protocol/ indexes them (the findings ring, protocol/ring.ts, reads `ring`). */
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly mailbox: Uint8Array;
  private readonly nameBytes: Uint8Array;
  private readonly syncCounts: Float64Array;
  private readonly syncNames: Uint8Array;
  readonly ring: Uint8Array;

  constructor(buffer: SharedArrayBuffer, offset = 0) {
    this.f64 = new Float64Array(buffer, offset, F64_SLOTS);
    this.i32 = new Int32Array(buffer, offset + I32_OFFSET, I32_SLOTS);
    this.mailbox = new Uint8Array(buffer, offset + MAILBOX_OFFSET, MAILBOX_BYTES);
    this.nameBytes = new Uint8Array(buffer, offset + NAME_OFFSET, NAME_BYTES);
    this.syncCounts = new Float64Array(buffer, offset + SYNC_COUNTS_OFFSET, SYNC_APIS);
    this.syncNames = new Uint8Array(buffer, offset + SYNC_NAMES_OFFSET, SYNC_APIS * SYNC_NAME_BYTES);
    this.ring = new Uint8Array(buffer, offset + RING_OFFSET, RING_BYTES);
  }

  // --- ownership (protocol/registry.ts) ---

  /** Takes the slot if it is free (compare-and-swap on its owner) and clears it for a fresh start. */
  claim(threadId: number): boolean {
    if (Atomics.compareExchange(this.i32, OWNER, 0, CLAIMING) !== 0) return false;
    this.f64.fill(0);
    this.syncCounts.fill(0);
    this.syncNames.fill(0);
    // Every Int32 number back to its start (no gap claimed yet), the owner last: the slot is ready.
    for (let i = 0; i < I32_SLOTS; i++) if (i !== OWNER) Atomics.store(this.i32, i, i === CLAIMED ? -1 : 0);
    Atomics.store(this.i32, OWNER, threadId + 1);
    return true;
  }

  /**
   * Gives the slot back once its thread is gone (the watchdog does this after the final line). Its
   * numbers stay until the next owner clears them: an exiting thread may still be reading them.
   */
  release(): void {
    Atomics.store(this.i32, OWNER, 0);
  }

  /** The thread that owns the slot, or -1 (free, or being claimed). */
  owner(): number {
    const owner = Atomics.load(this.i32, OWNER);
    return owner > 0 ? owner - 1 : -1;
  }

  // --- the heartbeat (the thread writes; detectors/block/heartbeat.ts) ---

  /**
   * Stamps the time (`now`: a test's clock) and moves to the next generation: the loop turned.
   * `cpuMs`: the CPU time the thread had used by now (-1: not known), so that the watchdog can tell
   * how much of a gap after this beat the thread spent on a CPU (detectors/block/cpu-split.ts).
   */
  beat(now: number = wallNow(), cpuMs = -1): void {
    this.f64[BEAT_CPU] = cpuMs;
    this.f64[BEAT] = now;
    Atomics.add(this.i32, GEN, 1);
  }

  /** The thread's CPU time (ms) at its last beat, or null when it could not tell. */
  beatCpuMs(): number | null {
    const ms = this.f64[BEAT_CPU] ?? -1;
    return ms >= 0 ? ms : null;
  }

  /** The thread's kernel thread id (Linux), written once at its start; 0 where there is none. */
  setKernelThread(tid: number): void {
    Atomics.store(this.i32, KERNEL_TID, tid > 0 && tid <= 0x7fffffff ? tid : 0);
  }

  kernelThread(): number {
    return Atomics.load(this.i32, KERNEL_TID);
  }

  /** Epoch ms of the last heartbeat; 0 before the first. */
  lastBeat(): number {
    return this.f64[BEAT] ?? 0;
  }

  /** The heartbeat generation: +1 per beat, so a reader can tell one gap from the next. */
  gen(): number {
    return Atomics.load(this.i32, GEN);
  }

  /** No gap claimed yet (a fresh heartbeat). */
  resetGapClaim(): void {
    Atomics.store(this.i32, CLAIMED, -1);
  }

  /** Claims the gap after heartbeat generation `gen` for one writer only (the watchdog or the thread). */
  claimGap(gen: number): boolean {
    const claimed = Atomics.load(this.i32, CLAIMED);
    return claimed !== gen && Atomics.compareExchange(this.i32, CLAIMED, claimed, gen) === claimed;
  }

  /**
   * The thread's loop is idle and it beats slowly (`true`), or beats at every turn again (`false`,
   * written after the beat that wakes it). While it rests the watchdog tells idle from blocked by the
   * thread's CPU time, not by its heartbeat (detectors/block/block-watcher.ts).
   */
  setResting(resting: boolean): void {
    Atomics.store(this.i32, RESTING, resting ? 1 : 0);
  }

  resting(): boolean {
    return Atomics.load(this.i32, RESTING) === 1;
  }

  /**
   * In the resting thread: resolves when the watchdog asks it to wake ('ok') or after `timeoutMs`
   * ('timed-out'; its rest beat). Atomics.waitAsync wakes the loop through V8's task queue: no handle
   * that would keep the thread alive, and no message event (whose first dispatch loads undici's
   * MessageEvent on Node 22+, ~40 ms of CPU). `async: false`: a wake-up was asked already.
   */
  waitForWake(timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> } {
    // Not in TypeScript's lib before ES2024 (as in registry.ts); in V8 since Node 16.
    const atomics = Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: false; value: string } | { async: true; value: Promise<string> } };
    return atomics.waitAsync(this.i32, WAKE_REQUEST, 0, timeoutMs);
  }

  /** The thread is awake (or about to rest): a wake-up asked before now is answered. */
  clearWakeRequest(): void {
    Atomics.store(this.i32, WAKE_REQUEST, 0);
  }

  /** The watchdog wakes the thread (a resting thread's loop runs its wake-up at once). */
  requestWake(): void {
    Atomics.store(this.i32, WAKE_REQUEST, 1);
    Atomics.notify(this.i32, WAKE_REQUEST);
  }

  /** The watchdog cannot watch this thread resting (no scheduler statistics): it must keep beating. */
  forbidRest(): void {
    Atomics.store(this.i32, NO_REST, 1);
  }

  restForbidden(): boolean {
    return Atomics.load(this.i32, NO_REST) === 1;
  }

  /** The watchdog's rest sentinel watches this thread's CPU time natively (block-watcher.ts). */
  markRestWatched(): void {
    Atomics.store(this.i32, REST_WATCHED, 1);
  }

  restWatched(): boolean {
    return Atomics.load(this.i32, REST_WATCHED) === 1;
  }

  /** The loop turned after the entry module ran: start-up is over. */
  markTurned(): void {
    Atomics.store(this.i32, TURNED, 1);
  }

  hasTurned(): boolean {
    return Atomics.load(this.i32, TURNED) === 1;
  }

  /** The beat just written is the thread's last (exit): a gap after it is Node's exit, not the app. */
  markExitBeat(): void {
    Atomics.store(this.i32, EXIT_GEN, Atomics.load(this.i32, GEN));
  }

  /** Whether the thread has not beaten since its exit beat. */
  atExitBeat(): boolean {
    const exitGen = Atomics.load(this.i32, EXIT_GEN);
    return exitGen !== 0 && Atomics.load(this.i32, GEN) === exitGen;
  }

  /** The thread is exiting (or its agent stopped): the watchdog stops watching it. */
  markExited(): void {
    this.f64[EXITED] = 1;
  }

  exited(): boolean {
    return this.f64[EXITED] === 1;
  }

  /** The thread wrote its last finding (its summary): the slot may be reused once its ring is drained. */
  markDone(): void {
    Atomics.store(this.i32, DONE, 1);
  }

  done(): boolean {
    return Atomics.load(this.i32, DONE) === 1;
  }

  // --- the block the watchdog has open (the watchdog writes; the thread waits for it at exit) ---

  /** The watchdog opened a block on the gap after `beat`. */
  openGap(beat: number): void {
    this.f64[OPEN_BLOCK] = beat;
    Atomics.store(this.i32, CLOSED_SIGNAL, 0);
  }

  /** The watchdog closed it (final line written): wakes a thread waiting at exit. */
  closeGap(): void {
    this.f64[OPEN_BLOCK] = 0;
    Atomics.store(this.i32, CLOSED_SIGNAL, 1);
    Atomics.notify(this.i32, CLOSED_SIGNAL);
  }

  /** The beat the open block began at, or 0 when none is open. */
  openGapBeat(): number {
    return this.f64[OPEN_BLOCK] ?? 0;
  }

  /** At exit, in the thread: waits (at most `timeoutMs`) for the watchdog to close a block it has open. */
  awaitGapClosed(timeoutMs: number): void {
    if (this.f64[OPEN_BLOCK]) atomicsWait(this.i32, CLOSED_SIGNAL, 0, timeoutMs);
  }

  // --- counters for the thread's summary ---

  /** A block finding was written for this thread (the watchdog). */
  countBlock(): void {
    this.f64[BLOCKS] = (this.f64[BLOCKS] ?? 0) + 1;
  }

  blocks(): number {
    return this.f64[BLOCKS] ?? 0;
  }

  /** Ms blocked by start-up (module loading), which are not findings (the thread or the watchdog). */
  addStartupMs(ms: number): void {
    this.f64[STARTUP_MS] = (this.f64[STARTUP_MS] ?? 0) + ms;
  }

  startupMs(): number {
    return this.f64[STARTUP_MS] ?? 0;
  }

  /** A gap no application frame could be named for (the thread or the watchdog). */
  countUnnamedGap(ms: number): void {
    this.f64[UNNAMED_MS] = (this.f64[UNNAMED_MS] ?? 0) + ms;
    this.f64[UNNAMED_COUNT] = (this.f64[UNNAMED_COUNT] ?? 0) + 1;
  }

  unnamedMs(): number {
    return this.f64[UNNAMED_MS] ?? 0;
  }

  unnamedGaps(): number {
    return this.f64[UNNAMED_COUNT] ?? 0;
  }

  /** Ms the thread waited for a CPU inside a gap the watchdog watched (the watchdog). */
  addStarvedMs(ms: number): void {
    if (ms > 0) this.f64[STARVED_MS] = (this.f64[STARVED_MS] ?? 0) + ms;
  }

  starvedMs(): number {
    return this.f64[STARVED_MS] ?? 0;
  }

  /** A gap of the threshold that was no block: the thread mostly waited for a CPU (the watchdog). */
  countStarvedGap(): void {
    this.f64[STARVED_GAPS] = (this.f64[STARVED_GAPS] ?? 0) + 1;
  }

  starvedGaps(): number {
    return this.f64[STARVED_GAPS] ?? 0;
  }

  /** The longest block so far, raised to `ms` if longer (the watchdog). */
  noteBlockMs(ms: number): void {
    this.f64[WORST_MS] = Math.max(this.f64[WORST_MS] ?? 0, ms);
  }

  worstMs(): number {
    return this.f64[WORST_MS] ?? 0;
  }

  /** Ms the thread sat outside JavaScript after its exit beat (the watchdog). */
  addExitIdleMs(ms: number): void {
    this.f64[EXIT_IDLE_MS] = (this.f64[EXIT_IDLE_MS] ?? 0) + ms;
  }

  exitIdleMs(): number {
    return this.f64[EXIT_IDLE_MS] ?? 0;
  }

  // --- the map mailbox: the watchdog asks for a file's in-memory source map, the thread answers ---

  /** Whether a request waits for the thread's answer (the watchdog asks one file at a time). */
  mapRequested(): boolean {
    return Atomics.load(this.i32, MAP_REQUEST) !== 0;
  }

  /** The watchdog asks for `file`'s map; false when a request is pending or the path does not fit. */
  requestMap(file: string): boolean {
    if (this.mapRequested()) return false;
    const bytes = Buffer.from(file, 'utf8');
    if (bytes.length > MAILBOX_BYTES) return false;
    this.mailbox.set(bytes);
    Atomics.store(this.i32, MAP_REQUEST, bytes.length);
    return true;
  }

  /** The file the watchdog asked for, or null. */
  requestedMap(): string | null {
    const length = Atomics.load(this.i32, MAP_REQUEST);
    return length > 0 ? Buffer.from(this.mailbox.subarray(0, length)).toString('utf8') : null;
  }

  /** The thread answered (or could not): the watchdog may ask again. */
  clearMapRequest(): void {
    Atomics.store(this.i32, MAP_REQUEST, 0);
  }

  // --- the thread's name (the Worker's `name` option), for readers of its health ---

  writeName(name: string | undefined): void {
    if (!name) return;
    const { written } = new TextEncoder().encodeInto(name, this.nameBytes);
    Atomics.store(this.i32, NAME_LENGTH, written);
  }

  readName(): string | undefined {
    const length = Atomics.load(this.i32, NAME_LENGTH);
    return length > 0 ? Buffer.from(this.nameBytes.subarray(0, length)).toString('utf8') : undefined;
  }

  // --- calls of each sync API (the thread counts; detectors/sync-io), for readers of its health ---

  /** The index under which the thread counts calls of `api` from now on; -1 when the table is full. */
  addSyncApi(api: string): number {
    const index = Atomics.load(this.i32, SYNC_API_COUNT);
    if (index >= SYNC_APIS) return -1;
    const area = this.syncNames.subarray(index * SYNC_NAME_BYTES, (index + 1) * SYNC_NAME_BYTES);
    area.fill(0);
    new TextEncoder().encodeInto(api.slice(0, SYNC_NAME_BYTES), area.subarray(0, SYNC_NAME_BYTES - 1));
    this.syncCounts[index] = 0;
    // The name is in place before a reader can see the index.
    Atomics.store(this.i32, SYNC_API_COUNT, index + 1);
    return index;
  }

  /** `delta` more calls of the API at `index` (negative: calls taken back). */
  countSyncCalls(index: number, delta: number): void {
    this.syncCounts[index]! += delta;
  }

  /** Calls of each sync API the thread counted so far, by API name (empty before its first). */
  readSyncCalls(): Record<string, number> {
    const out: Record<string, number> = {};
    const n = Math.min(Atomics.load(this.i32, SYNC_API_COUNT), SYNC_APIS);
    for (let i = 0; i < n; i++) {
      const area = this.syncNames.subarray(i * SYNC_NAME_BYTES, (i + 1) * SYNC_NAME_BYTES);
      const end = area.indexOf(0);
      const name = Buffer.from(area.subarray(0, end < 0 ? area.length : end)).toString('utf8');
      out[name] = (out[name] ?? 0) + Math.max(0, this.syncCounts[i] ?? 0);
    }
    return out;
  }

  // --- loop health (the thread publishes about once a second: agent/loop-health.ts) ---

  /** Seen by health readers from the start; the numbers come with the first publish. */
  stampHealth(): void {
    this.f64[H_TIME] = wallNow();
  }

  publishHealth(delay: LoopDelay, elu: number, activeMs: number, idleMs: number): void {
    const f = this.f64;
    f[H_MIN] = delay.min;
    f[H_MAX] = delay.max;
    f[H_MEAN] = delay.mean;
    f[H_P50] = delay.p50;
    f[H_P90] = delay.p90;
    f[H_P99] = delay.p99;
    f[H_ELU] = elu;
    f[H_ACTIVE_MS] = activeMs;
    f[H_IDLE_MS] = idleMs;
    f[H_TIME] = wallNow();
  }

  /** The thread's health at `now`, or null for a free slot. A thread silent for `slowMs` is blocked. */
  readHealth(now: number, slowMs: number): ThreadHealth | null {
    const threadId = this.owner();
    if (threadId < 0) return null;
    const f = this.f64;
    const exited = f[EXITED] === 1;
    // A resting thread beats once a second: it is blocked only once the watchdog opened a block on it.
    const since = this.resting() ? (f[OPEN_BLOCK] ?? 0) : (f[BEAT] ?? 0);
    const beatAge = now - since;
    // Start-up (before the first loop turn) is not a block: the summary counts it apart.
    const blockedMs = !exited && this.hasTurned() && since > 0 && beatAge >= slowMs ? beatAge : 0;
    const name = this.readName();
    return {
      pid,
      threadId,
      ...(name ? { threadName: name } : {}),
      time: f[H_TIME] ?? 0,
      delay: { min: f[H_MIN] ?? 0, max: f[H_MAX] ?? 0, mean: f[H_MEAN] ?? 0, p50: f[H_P50] ?? 0, p90: f[H_P90] ?? 0, p99: f[H_P99] ?? 0 },
      elu: f[H_ELU] ?? 0,
      activeMs: f[H_ACTIVE_MS] ?? 0,
      idleMs: f[H_IDLE_MS] ?? 0,
      blockedMs,
      blocks: f[BLOCKS] ?? 0,
      starvedMs: Math.round(f[STARVED_MS] ?? 0),
      starvedGaps: f[STARVED_GAPS] ?? 0,
      syncCalls: this.readSyncCalls(),
      exited,
    };
  }

  // --- the findings ring's positions (protocol/ring.ts) ---

  /** Bytes ever written into the ring, mod 2^32 (the thread only). */
  ringWritten(): number {
    return Atomics.load(this.i32, RING_WRITE) >>> 0;
  }

  /** Bytes ever read from the ring, mod 2^32 (the hub only). */
  ringRead(): number {
    return Atomics.load(this.i32, RING_READ) >>> 0;
  }

  /** Publishes a record whose bytes are in place: the reader never sees a record before its bytes. */
  publishRingWrite(position: number): void {
    Atomics.store(this.i32, RING_WRITE, position | 0);
  }

  /** Frees the ring up to `position` and wakes a thread waiting at exit for its findings to be reported. */
  publishRingRead(position: number): void {
    Atomics.store(this.i32, RING_READ, position | 0);
    Atomics.notify(this.i32, RING_READ);
  }

  /** Waits (at most `timeoutMs`) for the hub's next read from the ring. */
  awaitRingRead(timeoutMs: number): void {
    atomicsWait(this.i32, RING_READ, Atomics.load(this.i32, RING_READ), timeoutMs);
  }

  countDropped(): void {
    Atomics.add(this.i32, RING_DROPPED, 1);
  }

  dropped(): number {
    return Atomics.load(this.i32, RING_DROPPED);
  }
}
