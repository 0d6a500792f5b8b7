// Preload: loads the native first-line writer built for this Node line (writer.cc) and starts it on a
// beat counter bumped every 10 ms by the main thread, writing to WRITER_OUT (a file made 0600; default:
// none, the beat alone). WRITER_SLOW_MS: its threshold (100); WRITER_LOOK_MS: its wall-clock look (0: none);
// WRITER_RULES=1: the start-up rule (no line before the first loop turn, while modules load, or at exit).
const { openSync } = require('node:fs');
const major = process.versions.node.split('.')[0];
const beat = new Int32Array(new SharedArrayBuffer(8));
setInterval(() => Atomics.add(beat, 0, 1), 10).unref();
// The first loop turn, as the agent marks it (src/detectors/startup.ts): whichever phase comes first.
const turn = () => Atomics.store(beat, 1, 1);
setTimeout(turn, 0).unref();
setImmediate(turn).unref();
// The exit: the loop is done (the agent learns it without a listener on the app's process: exit-hook.ts).
process.on('exit', () => Atomics.store(beat, 1, 2));
if (process.env.WRITER_OUT) {
  const writer = require(`./build-${major}/writer.node`);
  const fd = openSync(process.env.WRITER_OUT, 'a', 0o600);
  writer.start(beat, fd, Number(process.env.WRITER_SLOW_MS || 100), 10, process.pid, 0, Number(process.env.WRITER_LOOK_MS || 0), process.env.WRITER_RULES === '1');
  globalThis.__writer = writer;
}
