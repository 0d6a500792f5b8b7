// The flood case: one site that blocks 2,000 times at a 10 ms threshold. The console shows the first
// lines and then "N more at this site" now and then; the JSON Lines report holds the first blocks in full
// and aggregate records for the rest, at most 256 kB; the summary counts every block.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, latest, runNode } from '../helpers.js';

describe('bounded output', () => {
  it('2,000 blocks from one site: a few dozen console lines, at most 256 kB of JSON Lines, every block counted', async () => {
    const run = await runNode(fixture('flood.mjs'), {
      env: { ASYNC_DEBUG_SLOW_MS: '10', ASYNC_DEBUG_REPORTERS: 'console,json' },
      timeoutMs: 150_000,
    });
    expect(run.code).toBe(0);
    const consoleLines = run.stderr.trimEnd().split('\n');
    // A few dozen of 2,000: per site key (the spin's two columns, the timer's call, a gap with no app
    // frame) its first lines and a code frame, then a "N more" line now and then while the run lasts (a
    // slow CI run writes more of those: 49 was seen once), and the exit's lines.
    expect(consoleLines.length, run.stderr).toBeLessThanOrEqual(64);
    expect(run.stderr).toMatch(/\d+ more blocks at test\/fixtures\/flood\.mjs:\d+:\d+/);

    const file = `${run.dir}/asyncdebug-${run.lines[0]!.pid}.jsonl`;
    expect(statSync(file).size).toBeLessThanOrEqual(256 * 1024);
    const all = latest(run.lines);
    const summary = all.find((l) => l.kind === 'summary' && l.threadId === 0)!;
    const counts = summary.counts as { block: number };
    const full = all.filter((l) => l.kind === 'block').length;
    const aggregated = all.filter((l) => (l.kind as string) === 'aggregate').reduce((n, l) => n + (l.count as number), 0);
    // ten per site in full: the spin, at times the timer's call of it, and the gaps whose only read came as
    // the callback ended (no application frame: a block with its reason)
    expect(full).toBeLessThanOrEqual(3 * 10 + 5);
    // The summary counts every block; the aggregate lines every one folded up to their last write (at most a
    // second before the process ended). A gap the thread spent mostly waiting for a CPU is no block: it is
    // counted as starved.
    expect(counts.block + (summary.unnamedBlocks as number) + (summary.starvedGaps as number)).toBeGreaterThanOrEqual(1500);
    expect(full + aggregated).toBeLessThanOrEqual(counts.block);
    expect(full + aggregated).toBeGreaterThanOrEqual(counts.block - 150);
  }, 180_000);
});
