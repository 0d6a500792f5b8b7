// Preload: loads the sentinel built for this Node line and starts it on a beat counter bumped every 10 ms
// by the main thread (as the agent's heartbeat does). SENTINEL=0: the beat alone; POLL_MS: its poll.
const major = process.versions.node.split('.')[0];
const sentinel = require(`./build-${major}/sentinel.node`);
const beat = new Int32Array(new SharedArrayBuffer(4));
const t = setInterval(() => Atomics.add(beat, 0, 1), 10);
t.unref();
if (process.env.SENTINEL !== '0') sentinel.start(beat, Number(process.env.POLL_MS || 10), 100, 20);
globalThis.__sentinel = sentinel;
