import { describe, expect, it } from 'vitest';
import type { BlockFinding, SummaryFinding } from '../../../src/finding.js';
import { colorLevel, formatDuration } from '../../../src/reporters/console-format.js';
import { createConsoleReporter } from '../../../src/reporters/console.js';
import { nextSampleDelay } from '../../../src/detectors/block/block-watcher.js';

function block(id: string, line: number, durationMs: number, ongoing: boolean, samples = 1): BlockFinding {
  const site = { file: '/app/server.js', line, column: 3, function: 'busy' };
  return { v: 1, id, kind: 'block', time: 0, pid: 1, threadId: 0, message: '', site, frames: [site], durationMs, ongoing, samples };
}

describe('console reporter', () => {
  it('time by site: entries at one line (different sync APIs in flight there) are one site', () => {
    const at = (line: number, column: number) => ({ file: '/app/server.js', line, column, function: 'busy' });
    const spread = (profile: [number, number, number][]) => {
      const out: string[] = [];
      const r = createConsoleReporter({ write: (t) => out.push(t), level: 0, cwd: '/app' });
      r.report({ ...block('a', 1, 300, false, 10), profile: profile.map(([line, column, share]) => ({ site: at(line, column), samples: 1, share })) });
      return out.join('');
    };
    expect(spread([[1, 20, 0.6], [1, 20, 0.31], [1, 20, 0.09]])).not.toContain('time by site');
    expect(spread([[1, 20, 0.5], [1, 20, 0.1], [2, 3, 0.4]])).toContain('time by site: 60% server.js:1:20, 40% server.js:2:3');
  });

  it('shows a site in full once, then one line per repeat with a count', () => {
    const out: string[] = [];
    const r = createConsoleReporter({ write: (t) => out.push(t), level: 0, cwd: '/app' });
    r.report(block('a', 12, 110, true));
    r.report(block('a', 12, 300, false));
    r.report(block('b', 12, 105, true));
    r.report(block('b', 12, 150, false));
    expect(out[0]).toContain('event loop blocked for 110 ms (still blocked) · main thread');
    expect(out[0]).toContain('at busy (server.js:12:3)');
    expect(out[1]).toContain('loop turned again: blocked 300 ms');
    expect(out.slice(2)).toEqual(['asyncdebug event loop blocked 150 ms at server.js:12:3 · main thread · pid 1 · 2× at this site\n']);
  });

  it('a block that served a request says so on its lines', () => {
    const out: string[] = [];
    const r = createConsoleReporter({ write: (t) => out.push(t), level: 0, cwd: '/app' });
    const request = { method: 'GET', route: '/users/:id', routeFrom: 'framework' as const };
    r.report({ ...block('a', 12, 120, true), request });
    r.report({ ...block('a', 12, 480, false), request, requests: [{ ...request, time: 0, durationMs: 240 }, { ...request, method: 'POST', time: 1, durationMs: 230 }] });
    r.report({ ...block('b', 12, 150, false), request });
    expect(out[0]).toContain('event loop blocked for 120 ms (still blocked) serving GET /users/:id · main thread');
    expect(out[1]).toContain('loop turned again: blocked 480 ms in all serving GET /users/:id and 1 other request at server.js:12:3');
    expect(out[2]).toContain('blocked 150 ms serving GET /users/:id at server.js:12:3');
  });

  it('a flood from one site: the first lines, then "N more at this site" now and then and at exit; the total is all of them', () => {
    const out: string[] = [];
    let clock = 0;
    const r = createConsoleReporter({ write: (t) => out.push(t), level: 0, cwd: '/app', now: () => clock });
    for (let i = 0; i < 2000; i++) {
      clock += 20; // a block of 12 ms every 20 ms: 40 s in all
      r.report(block(`b${i}`, 12, 11, true));
      r.report(block(`b${i}`, 12, 12, false));
    }
    const summary: SummaryFinding = { v: 1, id: 'summary-0', kind: 'summary', time: 0, pid: 1, threadId: 0, message: '', site: null, frames: [], loopDelay: { p50: 0, p99: 0, max: 0 }, elu: 0, counts: { block: 2000 }, startupBlockMs: 0, mode: 'default', unnamedBlocks: 0, unnamedBlockMs: 0, exitIdleMs: 0 };
    r.report(summary);
    const lines = out.join('').trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(40);
    const shownOneByOne = lines.filter((l) => /event loop blocked|loop turned again/.test(l)).length;
    const more = lines.map((l) => /(\d+) more blocks? at server\.js:12:3/.exec(l)).filter((m) => m !== null);
    expect(more.length).toBeGreaterThanOrEqual(2);
    // Every block is either shown or counted in a "more" line.
    expect(more.reduce((n, m) => n + Number(m![1]), 0) + 5).toBe(2000);
    expect(shownOneByOne).toBeLessThanOrEqual(7);
    expect(lines.at(-1)).toContain('2000 blocks');
  });

  it('past a site\'s first lines, a block that goes on for a second is still shown (an infinite loop)', () => {
    const out: string[] = [];
    let clock = 0;
    const r = createConsoleReporter({ write: (t) => out.push(t), level: 0, cwd: '/app', now: () => clock });
    for (let i = 0; i < 10; i++) {
      clock += 20;
      r.report(block(`b${i}`, 12, 12, false));
    }
    out.length = 0;
    r.report(block('long', 12, 110, true));
    expect(out).toEqual([]);
    r.report(block('long', 12, 1000, true, 3));
    expect(out.join('')).toContain('event loop blocked 1.00 s (still blocked) at server.js:12:3');
    r.report(block('long', 12, 2500, false, 9));
    expect(out.join('')).toContain('event loop blocked 2.50 s at server.js:12:3');
  });

  it('control characters in a finding are shown, not sent to the terminal', () => {
    const out: string[] = [];
    const r = createConsoleReporter({ write: (t) => out.push(t), level: 0, cwd: '/app' });
    const f = block('x', 12, 150, false);
    f.frames = [{ ...f.site!, function: 'evil\u001b]0;pwned\u0007' }];
    r.report(f);
    r.report({ v: 1, id: 'u', kind: 'unhandled-rejection', time: 0, pid: 1, threadId: 0, message: 'rejected with Error: \u001b[2Jcleared', site: null, frames: [] });
    const text = out.join('');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
    expect(text).toContain('evil\\u001b]0;pwned\\u0007');
    expect(text).toContain('\\u001b[2Jcleared');
  });

  it('colors: off with NO_COLOR or without a TTY, on with FORCE_COLOR', () => {
    expect(colorLevel({ NO_COLOR: '1' }, true)).toBe(0);
    expect(colorLevel({}, false)).toBe(0);
    expect(colorLevel({}, true)).toBe(1);
    expect(colorLevel({ FORCE_COLOR: '1' }, false)).toBe(1);
  });

  it('durations read naturally', () => {
    expect(formatDuration(152.4)).toBe('152 ms');
    expect(formatDuration(1520)).toBe('1.52 s');
    expect(formatDuration(65_000)).toBe('65 s');
  });
});

describe('re-sampling a long block', () => {
  it('widens: first at 1 s, then doubling, at most a minute apart', () => {
    expect(nextSampleDelay(110, 100)).toBe(1000);
    expect(nextSampleDelay(1000, 100)).toBe(2000);
    expect(nextSampleDelay(4000, 100)).toBe(8000);
    expect(nextSampleDelay(120_000, 100)).toBe(180_000);
    expect(nextSampleDelay(150, 800)).toBe(1600);
  });
});
