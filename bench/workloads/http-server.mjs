// Hello-world HTTP server on 127.0.0.1, ephemeral port. Prints "port <n>" once it is ready for load.
// --block: block the loop once for 200 ms at start-up + 1 s (a watchdog still booting on a loaded machine would miss it), and only announce the port after that
// block is over, so the load runs against a process whose agent has already captured a block.
import { createServer } from 'node:http';
import { busyWait } from './busy.mjs';

const block = process.argv.includes('--block');
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello world');
});
const announce = () => console.log(`port ${server.address().port}`);
const blocked = block
  ? new Promise((r) => setTimeout(() => (busyWait(200), setTimeout(r, 50)), 1000))
  : Promise.resolve();
server.listen(0, '127.0.0.1', () => blocked.then(announce));

// The parent kills us; this only stops an orphan if the parent itself died.
setTimeout(() => process.exit(3), 120_000).unref();
