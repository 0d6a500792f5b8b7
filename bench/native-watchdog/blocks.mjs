// Planted blocks; after each, what the sentinel took while it lasted. Run with `-r ./load.cjs`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pbkdf2Sync } from 'node:crypto';
const s = globalThis.__sentinel;
const dir = mkdtempSync(join(tmpdir(), 'sentinel-blocks-'));
const big = join(dir, 'big.bin');
writeFileSync(big, Buffer.alloc(64 << 20));
const spin = (ms) => { const end = performance.now() + ms; let x = 0; while (performance.now() < end) x++; return x; };
function busyLoop() { return spin(300); }
function readMany() { const end = performance.now() + 300; while (performance.now() < end) readFileSync(big); }
function oneWait() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); }
function hash() { pbkdf2Sync('x', 'y', 600000, 32, 'sha256'); }
const cases = { busyLoop, readMany, oneWait, hash };
for (const [name, fn] of Object.entries(cases)) {
  await new Promise((r) => setTimeout(r, 150));
  s.take();
  const t0 = s.monotonicMs();
  fn();
  const t1 = s.monotonicMs();
  await new Promise((r) => setImmediate(r));
  const got = s.take();
  console.log(`${name}: ${(t1 - t0).toFixed(0)} ms, ${got.length} samples` + got.map((g) => `\n   at +${(g.takenAt - t0).toFixed(0)} (asked +${(g.requestedAt - t0).toFixed(0)}) ${g.stack.split('\n')[0]}`).slice(0, 4).join(''));
}
rmSync(dir, { recursive: true, force: true });
