// The loop health of a thread, as the API's health(), the reporters and the TUI see it. Published by
// each thread into its registry slot (agent/loop-health.ts) and read from there (protocol/health.ts).
// Not part of the JSON Lines report (finding.ts): no finding carries these fields.

/** Loop delay over the last window (about one second), in milliseconds. */
export interface LoopDelay {
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

/** One thread's loop health, as every thread publishes it (protocol/health.ts reads it). */
export interface ThreadHealth {
  pid: number;
  /** 0 = main thread. */
  threadId: number;
  /** The `name` the app gave the Worker, when it gave one. */
  threadName?: string;
  /** Epoch ms the thread last published its numbers. */
  time: number;
  /** Loop delay over the last window. */
  delay: LoopDelay;
  /** Event-loop utilization over the last window, 0..1. */
  elu: number;
  /** Since the thread started: ms the loop was active (running callbacks) and idle (waiting in the poll). */
  activeMs: number;
  idleMs: number;
  /** Ms the loop has been blocked right now (no heartbeat for at least the block threshold), else 0. */
  blockedMs: number;
  /** Block findings made for this thread so far. */
  blocks: number;
  /**
   * Ms the thread waited for a CPU (runnable, but other threads or processes had the cores) inside
   * the gaps of its loop the watchdog watched, and how many gaps of the threshold were no block for
   * that reason. Linux only (0 elsewhere): read from the kernel's per-thread scheduler statistics.
   */
  starvedMs?: number;
  starvedGaps?: number;
  /** True once the thread has exited (its last numbers stay until the slot is reused). */
  exited: boolean;
  /**
   * False for a thread the agent runs in but cannot watch: more threads run than the agent watches at
   * once (1024). Its numbers are zeros and its blocks are not found. Absent for a watched thread.
   */
  watched?: false;
}
