// Debug mode: a block's origin is the callback that blocked (a timer and where it was scheduled, a
// promise continuation, an HTTP request), found without async hooks; the app's stacks are unchanged.
import { describe, expect, it } from 'vitest';
import { blocks, fixture, latest, markerLine, runNode } from '../helpers.js';

describe('debug mode: where the blocking callback came from', () => {
  it('names the timer and its scheduling line, the promise continuation and the HTTP request', async () => {
    const file = fixture('debug-origin.mjs');
    const run = await runNode(file, { env: { ASYNC_DEBUG: '1', ASYNC_DEBUG_REPORTERS: 'json' } });
    expect(run.code, run.stderr).toBe(0);
    const found = latest(blocks(run.lines)).filter((b) => !b.ongoing);
    const byType = new Map(found.map((b) => [(b.origin as { type: string } | undefined)?.type, b]));
    const timer = byType.get('timer');
    expect(timer?.site?.line).toBe(markerLine(file));
    expect(timer?.origin).toMatchObject({ type: 'timer', api: 'setTimeout' });
    expect((timer?.origin as { frames: { file: string; line: number }[] }).frames[0]).toMatchObject({ file, line: markerLine(file, '@sched') });
    expect(timer?.message).toContain(`scheduled at`);
    expect(byType.get('promise')).toBeTruthy();
    // The request, without its query string.
    expect(byType.get('http-request')?.origin).toMatchObject({ type: 'http-request', api: 'GET /slow' });
    expect(JSON.stringify(run.lines)).not.toContain('secret');
    expect(byType.get('io')?.origin).toMatchObject({ type: 'io', api: 'FSReqCallback' });
    expect(byType.get('async-resource')?.origin).toMatchObject({ type: 'async-resource', api: 'Job' });
    // Each block once: no kind taken for another.
    expect(found.map((b) => (b.origin as { type: string }).type).sort()).toEqual(['async-resource', 'http-request', 'io', 'promise', 'timer']);
  });

  it('leaves the stacks the app sees in and around timers as they are without the agent', async () => {
    const file = fixture('debug-stacks.cjs');
    const bare = await runNode(file, { nodeArgs: [] });
    const debug = await runNode(file, { env: { ASYNC_DEBUG: '1' } });
    expect(bare.code).toBe(0);
    expect(debug.code).toBe(0);
    expect(debug.stdout).toBe(bare.stdout);
    expect(bare.stdout).toContain('ERR_INVALID_ARG_TYPE');
  });

  it('only debug mode wraps the timers; their name and length stay', async () => {
    const file = fixture('timers-source.cjs');
    const [bare, plain, debug] = await Promise.all([
      runNode(file, { nodeArgs: [] }),
      runNode(file),
      runNode(file, { env: { ASYNC_DEBUG: '1' } }),
    ]);
    expect(plain.stdout).toBe(bare.stdout);
    expect(debug.stdout).not.toBe(bare.stdout);
    expect(debug.stdout.split('|')[2]).toBe(bare.stdout.split('|')[2]);
  });
});
