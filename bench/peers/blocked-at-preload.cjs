'use strict';
// blocked-at as a preload, for the side-by-side benchmark: `node -r ./bench/peers/blocked-at-preload.cjs app.js`.
// Its default options, except threshold 100 ms, asyncdebug's default. Each report is appended to the file
// in BLOCKED_AT_LOG as one JSON line, synchronously (appendFileSync), so the bench can poll it the way it
// polls asyncdebug's JSON Lines report. Without BLOCKED_AT_LOG the reports go to stderr.
// `-r` preloads run in worker threads too, so every thread of the app is watched, as with asyncdebug.
const { appendFileSync } = require('node:fs');
const { threadId } = require('node:worker_threads');
const blocked = require('blocked-at');

const file = process.env.BLOCKED_AT_LOG;

blocked(
  (time, stack) => {
    const line = `${JSON.stringify({ t: Date.now(), ms: Math.round(time), threadId, stack: stack.slice(0, 5) })}\n`;
    if (file) appendFileSync(file, line);
    else process.stderr.write(`blocked-at: ${line}`);
  },
  { threshold: 100 },
);
