import { describe, expect, it } from 'vitest';
import { fixture, latest, markerLine, runNode, type Line } from '../helpers.js';

const ofKind = (lines: Line[], kind: string) => latest(lines).filter((l) => l.kind === kind);

describe('large-message', () => {
  it('a big clone from main to a named worker and back is reported at each postMessage, with both threads', async () => {
    const file = fixture('threads-message.mjs');
    const run = await runNode(file, { timeoutMs: 60_000 });
    expect(run.code).toBe(0);
    const found = ofKind(run.lines, 'large-message');
    expect(found.map((l) => [l.api, l.site?.line])).toEqual(
      expect.arrayContaining([
        ['worker.postMessage', markerLine(file, '@main-to-worker')],
        ['parentPort.postMessage', markerLine(file, '@worker-to-main')],
      ]),
    );
    expect(found).toHaveLength(2); // the small messages are not findings
    const toWorker = found.find((l) => l.api === 'worker.postMessage')!;
    expect(toWorker.threadId).toBe(0);
    expect(toWorker.site?.file).toBe(file);
    expect(toWorker.durationMs as number).toBeGreaterThanOrEqual(20);
    expect(toWorker.bytes as number).toBeGreaterThan(1_000_000);
    const receiver = toWorker.receiver as { threadId: number; threadName: string };
    expect(receiver.threadName).toBe('cruncher');
    expect(toWorker.message).toMatch(/Transfer/);
    const toMain = found.find((l) => l.api === 'parentPort.postMessage')!;
    expect(toMain.threadId).toBe(receiver.threadId);
    expect(toMain.threadName).toBe('cruncher'); // findings made in a named worker carry its name
    expect(toMain.receiver).toEqual({ threadId: 0 });
    const workerSummary = latest(run.lines).find((l) => l.kind === 'summary' && l.threadId === receiver.threadId)!;
    expect(workerSummary.threadName).toBe('cruncher');
  });

  it('a large buffer is reported by its size, and not when it is transferred', async () => {
    const run = await runNode(fixture('threads-buffer.mjs'), { env: { ASYNC_DEBUG_MESSAGE_BYTES: String(4 * 1024 * 1024) } });
    expect(run.code).toBe(0);
    const found = ofKind(run.lines, 'large-message');
    expect(found.map((l) => l.site?.line)).toEqual([markerLine(fixture('threads-buffer.mjs'), '@copied')]);
    expect(found[0]!.bytes as number).toBeGreaterThanOrEqual(8 * 1024 * 1024);
  });
});

describe('threads', () => {
  it('Atomics.wait on the main thread is still reported while a worker runs', async () => {
    const file = fixture('threads-atomics.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    const found = ofKind(run.lines, 'atomics-wait');
    expect(found).toHaveLength(1);
    expect(found[0]!.site?.line).toBe(markerLine(file, '@atomics'));
  });

  it('a healthy app with a few concurrent reads and small messages reports nothing', async () => {
    const run = await runNode(fixture('threads-healthy.mjs'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('echoed 199');
    // (Blocks are left out: on a loaded machine the scheduler alone can stall a loop past 100 ms.)
    expect(latest(run.lines).filter((l) => l.kind !== 'summary' && l.kind !== 'block')).toEqual([]);
    const summaries = latest(run.lines).filter((l) => l.kind === 'summary');
    expect(summaries).toHaveLength(2);
    expect(summaries.find((l) => l.threadId !== 0)?.threadName).toBe('echo');
    expect(run.stderr).toBe('');
  });
});
