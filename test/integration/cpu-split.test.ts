// A block is what the thread did, not what the machine did (Linux: the kernel's scheduler statistics of
// the blocked thread). The contended cases pin the app's main thread, and only it (the watchdog is a
// thread of the same process and must keep its own core), to core 0 with a busy process there.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { blocks, fixture, markerLine, readReports, ROOT, runNode, tempDir, type Line } from '../helpers.js';

const HAS_SCHEDSTAT = existsSync('/proc/thread-self/schedstat');
const HAS_TASKSET = spawnSync('taskset', ['--version']).status === 0;
const CORES = availableParallelism();
const CAN_PIN = HAS_SCHEDSTAT && HAS_TASKSET && CORES >= 2;
if (!HAS_SCHEDSTAT) console.log('skipped: no per-thread scheduler statistics here (/proc/thread-self/schedstat): the wall clock is the rule');
else if (!CAN_PIN) console.log(`skipped the contended cases: they need taskset (${HAS_TASKSET ? 'found' : 'missing'}) and 2 cores or more (${CORES})`);

const hogs: ChildProcess[] = [];
afterEach(() => {
  for (const h of hogs.splice(0)) h.kill('SIGKILL');
});

const summaryOf = (lines: Line[]) => lines.find((l) => l.kind === 'summary' && l.threadId === 0)!;

/**
 * Runs cpu-contended.mjs for `cpuMs` of its main thread's own CPU time, with that thread (its pid is
 * its kernel thread id) pinned to core 0, where a busy process runs from just before the work starts.
 */
function runContended(cpuMs: number): Promise<{ code: number | null; lines: Line[]; stdout: string }> {
  const dir = tempDir();
  const child = spawn(process.execPath, ['--import', 'asyncdebug', fixture('cpu-contended.mjs'), String(cpuMs)], {
    cwd: ROOT,
    env: { ...process.env, ASYNC_DEBUG_REPORT_DIR: dir, ASYNC_DEBUG_REPORTERS: 'json', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stdout = '';
  let started = false;
  child.stdout!.on('data', (d) => {
    stdout += d;
    if (started || !stdout.includes('ready')) return;
    started = true;
    const pinned = spawnSync('taskset', ['-p', '-c', '0', String(child.pid)], { encoding: 'utf8' });
    if (pinned.status !== 0) throw new Error(`taskset -p failed: ${pinned.stderr}`);
    const hog = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;);'], { stdio: 'ignore' });
    hogs.push(hog);
    setTimeout(() => child.stdin!.write('go\n'), 200);
  });
  const limit = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((done) => {
    child.on('close', (code) => {
      clearTimeout(limit);
      for (const h of hogs.splice(0)) h.kill('SIGKILL');
      done({ code, lines: readReports(dir), stdout });
    });
  });
}

describe.runIf(CAN_PIN)('a thread sharing its core with a busy process', () => {
  it('a CPU block is found, with its time on a CPU of the threshold or more and the wait for a CPU apart', async () => {
    const file = fixture('cpu-contended.mjs');
    const run = await runContended(400);
    expect(run.code).toBe(0);
    const found = blocks(run.lines).filter((b) => b.site?.file === file);
    expect(found, JSON.stringify(blocks(run.lines), null, 1)).toHaveLength(1);
    const b = found[0]!;
    expect(b.site!.line).toBe(markerLine(file));
    expect(b.ongoing).toBe(false);
    expect(b.cpuMs as number).toBeGreaterThanOrEqual(100);
    // The busy process had the core for part of it: the block lasted longer than the thread ran.
    expect(b.starvedMs as number).toBeGreaterThan(0);
    expect(b.durationMs as number).toBeGreaterThan(b.cpuMs as number);
    expect(b.thresholdMs).toBe(100);
  });

  it('a 60 ms callback stretched past the threshold is no finding; the thread\'s summary counts it as starved', async () => {
    const run = await runContended(60);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/spun \d+/);
    expect(blocks(run.lines), JSON.stringify(blocks(run.lines), null, 1)).toEqual([]);
    const summary = summaryOf(run.lines);
    expect(summary.starvedGaps as number, JSON.stringify(summary)).toBeGreaterThanOrEqual(1);
    expect(summary.starvedMs as number).toBeGreaterThan(0);
  });
});

describe.runIf(HAS_SCHEDSTAT)('a thread asleep off a CPU', () => {
  it('readFileSync of a FIFO whose writer comes 250 ms later is a block spent asleep', async () => {
    const file = fixture('fifo-read.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('hello\n');
    const found = blocks(run.lines).filter((b) => b.site?.file === file);
    expect(found.map((b) => b.site!.line), JSON.stringify(blocks(run.lines), null, 1)).toEqual([markerLine(file)]);
    const b = found[0]!;
    expect(b.ongoing).toBe(false);
    expect(b.sleepMs as number).toBeGreaterThanOrEqual(100);
    expect(b.sleepMs as number).toBeGreaterThan(b.cpuMs as number);
    expect(b.message).not.toContain('JSON');
  });
});
