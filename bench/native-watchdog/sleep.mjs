// `node -r ./load-writer.cjs sleep.mjs atomics|fifo`: a block spent asleep, 150 ms after start: 300 ms in
// Atomics.wait, or a readFileSync of a FIFO that a child process writes to 300 ms later.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

setTimeout(function sleepy() {
  if (process.argv[2] === 'fifo') {
    const dir = mkdtempSync(join(tmpdir(), 'writer-fifo-'));
    const fifo = join(dir, 'f');
    execFileSync('mkfifo', [fifo]);
    spawn('sh', ['-c', `sleep 0.3; echo x > ${fifo}`], { stdio: 'ignore' }).unref();
    readFileSync(fifo);
    rmSync(dir, { recursive: true, force: true });
  } else {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  }
}, 150);
