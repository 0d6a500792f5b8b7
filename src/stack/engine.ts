// How the watchdog reads the live JavaScript stack of a thread whose loop is blocked.
import type { RawFrame } from '../frames/frames.js';

export interface StackEngine {
  readonly name: 'native' | 'inspector';
  /** Threads whose stacks this engine can read. */
  canCapture(threadId: number): boolean;
  /**
   * The thread's current stack, innermost first; null when it could not be read; undefined when it is
   * not read now (read again at the next sample). `since`: the thread has not left where it is since then
   * (epoch ms): a read of every thread begun after it, and just made, answers for this thread too.
   */
  capture(threadId: number, since?: number): Promise<RawFrame[] | null | undefined>;
  /** What the thread's registered AsyncLocalStorage held at the read `capture` last answered with (JSON), if any. */
  stateOf?(threadId: number): string | undefined;
  dispose(): void;
}
