// An example app with a planted defect: one route hashes a password with a synchronous busy loop.
// Run from the repo root:  node --import asyncdebug examples/slow-server.mjs
import http from 'node:http';

function slowHash(text) {
  let h = 0;
  const end = Date.now() + 250; // stands in for a CPU-heavy sync call
  while (Date.now() < end) h = (h * 31 + text.length) | 0;
  return h;
}

const server = http.createServer((req, res) => {
  if (req.url === '/login') res.end(String(slowHash('secret')));
  else res.end('ok');
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  // A few requests to itself on loopback, then it stops.
  for (const path of ['/', '/login', '/', '/login']) {
    await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.text());
  }
  server.close();
});
