// How the watchdog reads the live JavaScript stack of a thread whose loop is blocked.
import type { RawFrame } from '../frames/frames.js';

export interface StackEngine {
  readonly name: 'native' | 'inspector';
  /** Threads whose stacks this engine can read. */
  canCapture(threadId: number): boolean;
  /** Whether a read now answers at once; false while it would wait for a thread that cannot answer. */
  ready(): boolean;
  /** The thread's current stack, innermost first; null when it could not be read. */
  capture(threadId: number): Promise<RawFrame[] | null>;
  dispose(): void;
}
