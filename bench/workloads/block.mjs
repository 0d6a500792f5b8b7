// A planted block for the detection-latency test: at 200 ms, print the block's start (epoch ms) straight
// to fd 1 (writeSync, since a stream write would wait for the loop we are about to block), then block.
// Argument: the block's length in ms, or "forever" for an infinite loop the parent SIGKILLs; `300@2000`
// blocks 300 ms at 2000 ms instead (after a second of idle the agent's threads rest: the block starts
// while the main thread beats once a second, and the watchdog watches its CPU time instead).
import { writeSync } from 'node:fs';
import { busyWait } from './busy.mjs';

const [arg, at = '200'] = process.argv[2].split('@');
setTimeout(() => {
  writeSync(1, `blockStart ${Date.now()}\n`);
  if (arg === 'forever') for (;;) {}
  busyWait(Number(arg));
}, Number(at));
