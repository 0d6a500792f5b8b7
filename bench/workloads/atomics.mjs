// A worker transport with the main thread in Atomics.wait, as a logging library's thread-stream does in
// sync mode: the main thread writes each ~100-byte line into a SharedArrayBuffer, notifies the worker,
// and Atomics.waits until the worker has written it out (fs.writeSync to /dev/null) and notified back.
// 20,000 lines in batches of 500; between batches both threads return to their event loop, so no turn
// blocks for long. Timed from the first line to the last acknowledgement (the worker is started and
// ready before). Prints {"ms", "cpuMs": <CPU of all threads over that time>, "maxRssKb"}.
import { closeSync, openSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { cpuMs } from './cpu.mjs';

const LINES = 20_000;
const BATCH = 500;
const WRITTEN = 0; // Int32 slots of the control array: lines written by the main thread,
const READ = 1; // and lines the worker has written out
const nextTurn = () => new Promise((r) => setImmediate(r));

if (isMainThread) {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const data = new Uint8Array(new SharedArrayBuffer(4096));
  const worker = new Worker(new URL(import.meta.url), { workerData: { control, data } });
  await new Promise((r) => worker.once('message', r)); // ready: the worker's start-up is not measured
  const encoder = new TextEncoder();
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < LINES; ) {
    for (const end = Math.min(LINES, i + BATCH); i < end; i++) {
      const line = `{"level":30,"time":${Date.now()},"pid":${process.pid},"msg":"request ${i} done","ms":${i % 97}}\n`;
      const { written } = encoder.encodeInto(line, data.subarray(4));
      new DataView(data.buffer).setUint32(0, written);
      Atomics.store(control, WRITTEN, i + 1);
      Atomics.notify(control, WRITTEN);
      // the sync flush: wait until the worker has the line out
      while (Atomics.load(control, READ) !== i + 1) Atomics.wait(control, READ, i);
    }
    await nextTurn();
  }
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  Atomics.store(control, WRITTEN, -1); // stop
  Atomics.notify(control, WRITTEN);
  await new Promise((r) => worker.once('exit', r));
  console.log(JSON.stringify({ ms, cpuMs: cpu, maxRssKb: process.resourceUsage().maxRSS }));
} else {
  const { control, data } = workerData;
  const out = openSync('/dev/null', 'w');
  let seen = 0;
  parentPort.postMessage('ready');
  // Write out what comes in; back to the event loop after each batch, as the main thread does.
  for (;;) {
    let n = 0;
    while (n < BATCH) {
      Atomics.wait(control, WRITTEN, seen);
      const written = Atomics.load(control, WRITTEN);
      if (written < 0) break;
      if (written === seen) continue;
      writeSync(out, data, 4, new DataView(data.buffer).getUint32(0));
      seen = written;
      Atomics.store(control, READ, seen);
      Atomics.notify(control, READ);
      n++;
    }
    if (Atomics.load(control, WRITTEN) < 0) break;
    await nextTurn();
  }
  closeSync(out);
}
