// The agent's exit step with no listener of its own on the test's real process: process.emit reads and
// sets as before while the hook is on, and is as it was after. (That the step runs at a real exit,
// process.exit() or the loop's end, in the main thread and in workers, the integration tests show.)
import { describe, expect, it } from 'vitest';
import { atThreadExit } from '../../../src/agent/exit-hook.js';

describe('atThreadExit', () => {
  it('adds no exit listener; process.emit is the same function, takes what is set, and is as it was after', () => {
    const before = process.emit;
    const listeners = process.listenerCount('exit');
    const hadOwn = Object.prototype.hasOwnProperty.call(process, 'emit');
    let ran = 0;
    const undo = atThreadExit(() => ran++);
    try {
      expect(process.listenerCount('exit')).toBe(listeners);
      expect(process.emit).toBe(before);
      const theirs = function (this: NodeJS.Process, ...args: Parameters<typeof before>) {
        return before.apply(this, args);
      } as typeof before;
      process.emit = theirs; // as signal-exit does
      expect(process.emit).toBe(theirs);
      process.emit = before;
      // a second hook (the agent restarted) over the first
      const undoSecond = atThreadExit(() => ran++);
      expect(process.emit).toBe(before);
      undoSecond();
      expect(process.emit).toBe(before);
      expect(ran).toBe(0); // the thread is not exiting
    } finally {
      undo();
    }
    expect(Object.prototype.hasOwnProperty.call(process, 'emit')).toBe(hadOwn);
    expect(process.emit).toBe(before);
  });
});
