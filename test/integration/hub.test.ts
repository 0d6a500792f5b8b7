// The findings hub: every thread's findings reach the main thread's subscribers and the console once,
// and every thread's loop health is readable from the main thread while a worker is blocked.
import { describe, expect, it } from 'vitest';
import { fixture, markerLine, runNode } from '../helpers.js';

interface Got {
  kind: string;
  threadId: number;
  threadName?: string;
  line?: number;
  ongoing?: boolean;
}

describe('findings hub', () => {
  it("subscribe() in the main thread receives a worker's findings, and health() shows the worker blocked while it is", async () => {
    const file = fixture('hub-threads.mjs');
    const run = await runNode(file, { env: { ASYNC_DEBUG_REPORTERS: 'json' } });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim()) as {
      got: Got[];
      blockedSeen: { threadId: number; blockedMs: number; blocks: number } | null;
      threads: { threadId: number; threadName?: string; delay: { p99: number }; elu: number }[];
    };
    const sync = out.got.find((g) => g.kind === 'sync-io');
    expect(sync).toMatchObject({ threadName: 'resizer', line: markerLine(file, '@sync') });
    expect(sync?.threadId).toBeGreaterThan(0);
    const block = out.got.find((g) => g.kind === 'block' && !g.ongoing && g.threadId === sync?.threadId);
    expect(block?.line).toBe(markerLine(file));
    // Made by the watchdog, named by the name the app gave the Worker.
    expect(block?.threadName).toBe('resizer');
    expect(out.got.find((g) => g.kind === 'summary' && g.threadName === 'resizer')).toBeTruthy();
    // Each finding once: the main thread's own are not echoed back by the hub.
    const ids = out.got.filter((g) => g.kind === 'sync-io');
    expect(ids).toHaveLength(1);
    expect(out.blockedSeen?.blockedMs).toBeGreaterThanOrEqual(100);
    expect(out.blockedSeen?.threadId).toBe(sync?.threadId);
    const main = out.threads.find((t) => t.threadId === 0);
    expect(main).toBeTruthy();
    expect(main?.elu).toBeGreaterThanOrEqual(0);
    // The JSON Lines report has the same findings, each written by the thread that made it.
    expect(run.lines.filter((l) => l.kind === 'sync-io' && l.threadId === sync?.threadId)).toHaveLength(1);
  });

  for (const after of [0, 1500]) {
    it(`a console line per sync site, whether the process exits before the hub is up or after (${after} ms)`, async () => {
      const file = fixture('hub-exit.mjs');
      const run = await runNode(file, { env: { HUB_EXIT_AFTER_MS: String(after), ASYNC_DEBUG_REPORTERS: 'console' } });
      expect(run.code).toBe(0);
      const firstSeen = run.stderr.split('\n').filter((l) => l.includes(`hub-exit.mjs:${markerLine(file, '@sync')}`) && l.includes('on the loop'));
      const atExit = run.stderr.split('\n').filter((l) => l.includes('fs.readFileSync 1×'));
      expect(firstSeen, run.stderr).toHaveLength(1);
      expect(atExit, run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(/main thread \(pid \d+\) exiting: 1 sync I\/O call/);
    });
  }
});
