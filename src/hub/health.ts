// Loop health of one thread, as the hub holds it: every app thread publishes its own numbers into its
// registry slot about once a second (no message), and whoever reads the registry (the hub in the
// watchdog, or the main thread) sees every thread's health without asking the thread.

export interface LoopDelay {
  /** Milliseconds, over the last window (about one second). */
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

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
  /** True once the thread has exited (its last numbers stay until the slot is reused). */
  exited: boolean;
}
