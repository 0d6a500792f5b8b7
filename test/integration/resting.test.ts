// Threads rest while idle (detectors/block/heartbeat.ts: a heartbeat once a second instead of every
// 10 ms), and the watchdog watches their CPU time instead (block-watcher.ts). A block that starts while
// a thread rests is found as any other, at its line, and lasts what it lasted, not the rest before it.
import { describe, expect, it } from 'vitest';
import { blocks, fixture, markerLine, runNode, type Line } from '../helpers.js';

const linux = process.platform === 'linux';

function blockAt(lines: Line[], file: string, marker = '@block'): Line {
  const line = markerLine(file, marker);
  const found = blocks(lines).find((b) => b.site?.file === file && b.site?.line === line);
  expect(found, JSON.stringify(blocks(lines), null, 1)).toBeDefined();
  return found!;
}

describe.skipIf(!linux)('blocks that start while a thread rests', () => {
  it('a CPU block in the main thread, one in a worker, and a sleep: each found once, at its line, with its own length', async () => {
    const main = fixture('resting.mjs');
    const worker = fixture('resting-worker.mjs');
    const run = await runNode(main, { timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    // The main thread rested: a 10 ms heartbeat alone would have run it ~50 times in that half second.
    const idleRuns = Number(/idle runs (\d+)/.exec(run.stdout)?.[1]);
    expect(idleRuns).toBeLessThan(25);

    const cpu = blockAt(run.lines, main);
    expect(cpu.threadId).toBe(0);
    expect(cpu.ongoing).toBe(false);
    expect(cpu.durationMs as number).toBeGreaterThanOrEqual(250);
    expect(cpu.durationMs as number).toBeLessThan(1000); // not the second and a half of rest before it

    const inWorker = blockAt(run.lines, worker);
    expect(inWorker.threadId).toBeGreaterThan(0);
    expect(inWorker.durationMs as number).toBeGreaterThanOrEqual(250);
    expect(inWorker.durationMs as number).toBeLessThan(1000);

    const sleep = blockAt(run.lines, main, '@sleep');
    // Spent asleep, not on a CPU. Sleep while another thread of the process waited for a CPU counts as
    // starved (it may have been a wait for that thread): under a loaded test run, part of it can be.
    expect(sleep.sleepMs as number).toBeGreaterThan(sleep.cpuMs as number);
    expect((sleep.sleepMs as number) + (sleep.starvedMs as number)).toBeGreaterThanOrEqual(250);

    // Nothing else: the worker's short callbacks while it rested are no block.
    expect(blocks(run.lines).length, JSON.stringify(blocks(run.lines), null, 1)).toBe(3);
  }, 40_000);

  it('an app that replaces the timer globals (fake timers) after start-up: a woken thread keeps beating, no block', async () => {
    const run = await runNode(fixture('resting-fake-timers.mjs'), { timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    // At rest again after the last wake-up: a beat left running every 10 ms would be ~50 runs.
    expect(Number(/idle runs (\d+)/.exec(run.stdout)?.[1])).toBeLessThan(25);
    expect(blocks(run.lines), JSON.stringify(blocks(run.lines), null, 1)).toEqual([]);
  }, 40_000);
});
