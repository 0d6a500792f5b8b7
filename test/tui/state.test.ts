// The reducer and the views the screen is made of: pure functions over agent events.
import { describe, expect, it } from 'vitest';
import { applyEvent, blockedNow, clearFindings, countKind, initialData, nextFilter, poolView, snapshot, syncSites, topBlockSites, visibleFindings } from '../../src/tui/state.js';
import { block, finding, frame, health, healthMsg, hello, msg, PID } from './tui-helpers.js';

describe('tui state', () => {
  it('a block written twice with one id (ongoing, then final) is one finding, updated in place', () => {
    const s = initialData();
    applyEvent(s, msg(hello()));
    applyEvent(s, msg({ t: 'finding', f: block({ id: 'x', ongoing: true, durationMs: 110 }) }));
    expect(blockedNow(s)).toHaveLength(1);
    expect(blockedNow(s)[0]!.site?.line).toBe(8);
    applyEvent(s, msg({ t: 'finding', f: block({ id: 'x', ongoing: false, durationMs: 300 }) }));
    expect(s.findings).toHaveLength(1);
    expect(blockedNow(s)).toHaveLength(0);
    const [site] = topBlockSites(s);
    expect(site).toMatchObject({ count: 1, totalMs: 300, maxMs: 300, ongoing: false });
  });

  it('tallies blocking sites by file, line and function: count, total, max', () => {
    const s = initialData();
    applyEvent(s, msg(hello()));
    for (const d of [150, 250, 400]) applyEvent(s, msg({ t: 'finding', f: block({ durationMs: d }) }));
    applyEvent(s, msg({ t: 'finding', f: block({ durationMs: 120, site: frame(30, 'parse') }) }));
    const sites = topBlockSites(s);
    expect(sites.map((r) => [r.site?.line, r.count, r.totalMs, r.maxMs])).toEqual([
      [8, 3, 800, 400],
      [30, 1, 120, 120],
    ]);
  });

  it('a thread whose health says blocked is blocked now, until a newer final line or health says otherwise', () => {
    const s = initialData();
    applyEvent(s, msg(hello()));
    applyEvent(s, healthMsg([health({ blockedMs: 500 }), health({ threadId: 1, threadName: 'resizer' })]));
    const now = blockedNow(s);
    expect(now).toHaveLength(1);
    expect(now[0]).toMatchObject({ pid: PID, threadId: 0, site: null });
    expect(now[0]!.ms).toBeGreaterThanOrEqual(500);
    applyEvent(s, healthMsg([health({ blockedMs: 0 })]));
    expect(blockedNow(s)).toHaveLength(0);
    expect(s.processes.get(PID)!.threads.get(1)!.threadName).toBe('resizer');
  });

  it('a process that went away has no thread blocked now, even with an ongoing block left', () => {
    const s = initialData();
    applyEvent(s, msg(hello()));
    applyEvent(s, msg({ t: 'finding', f: block({ ongoing: true }) }));
    applyEvent(s, { type: 'gone', path: '/x', pid: PID, reason: 'exited' });
    expect(blockedNow(s)).toHaveLength(0);
    expect(s.processes.get(PID)!.connected).toBe(false);
  });

  it('keeps a sparkline history per thread, bounded', () => {
    const s = initialData();
    for (let i = 0; i < 200; i++) applyEvent(s, healthMsg([health({ delay: { min: 0, max: i, mean: 0, p50: 0, p90: 0, p99: 0 } })]));
    const t = s.processes.get(PID)!.threads.get(0)!;
    expect(t.history.length).toBe(120);
    expect(t.history.at(-1)).toBe(199);
  });

  it('sync-I/O sites, the pool, unawaited counts; filters by kind and process; clear', () => {
    const s = initialData();
    applyEvent(s, msg(hello()));
    applyEvent(s, msg(hello(7, { poolSize: 8 }), 7));
    applyEvent(s, msg({ t: 'finding', f: finding('sync-io', { api: 'fs.readFileSync', count: 40, durationMs: 6, maxMs: 0.4 }) }));
    applyEvent(s, msg({ t: 'finding', f: finding('sync-io', { api: 'fs.statSync', count: 2, durationMs: 1 }) }));
    applyEvent(s, msg({ t: 'finding', f: finding('unawaited', { settled: 'rejected' }) }));
    applyEvent(s, msg({ t: 'finding', f: finding('unawaited', { pid: 7, settled: 'pending' }) }, 7));
    applyEvent(s, msg({ t: 'finding', f: finding('threadpool-saturation', { queued: 8, poolSize: 4, durationMs: 396 }) }));
    expect(syncSites(s).map((r) => [r.api, r.count])).toEqual([
      ['fs.readFileSync', 40],
      ['fs.statSync', 2],
    ]);
    expect(poolView(s)).toMatchObject({ saturations: 1, queued: 8, poolSize: 4, worstWaitMs: 396 });
    expect(poolView(s, 7)).toMatchObject({ saturations: 0, poolSize: 8 });
    expect(countKind(s, 'unawaited')).toBe(2);
    expect(countKind(s, 'unawaited', 7)).toBe(1);
    expect(visibleFindings(s, 'all').map((e) => e.f.kind)).toEqual(['threadpool-saturation', 'unawaited', 'unawaited', 'sync-io', 'sync-io']);
    expect(visibleFindings(s, 'sync-io')).toHaveLength(2);
    expect(visibleFindings(s, 'all', 7)).toHaveLength(1);
    const frozen = snapshot(s);
    clearFindings(s);
    expect(s.findings).toHaveLength(0);
    expect(frozen.findings).toHaveLength(5);
    expect(s.processes.size).toBe(2);
  });

  it('the kind filter goes round every kind and back to all', () => {
    let f = nextFilter('all');
    const seen = [f];
    while (f !== 'all') seen.push((f = nextFilter(f)));
    expect(seen[0]).toBe('block');
    expect(seen).toContain('sync-io');
    expect(seen).toContain('unawaited');
    expect(seen).not.toContain('summary');
  });
});
