// A planted block for the detection-latency test: at 200 ms, print the block's start (epoch ms) straight
// to fd 1 (writeSync, since a stream write would wait for the loop we are about to block), then block.
// Argument: the block's length in ms, or "forever" for an infinite loop the parent SIGKILLs.
import { writeSync } from 'node:fs';
import { busyWait } from './busy.mjs';

const arg = process.argv[2];
setTimeout(() => {
  writeSync(1, `blockStart ${Date.now()}\n`);
  if (arg === 'forever') for (;;) {}
  busyWait(Number(arg));
}, 200);
