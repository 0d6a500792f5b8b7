import { describe, expect, it } from 'vitest';
import type { BlockFinding } from '../../../src/finding.js';
import { colorLevel, formatDuration } from '../../../src/reporters/console-format.js';
import { createConsoleReporter } from '../../../src/reporters/console.js';
import { nextSampleDelay } from '../../../src/detectors/block/block-watcher.js';

function block(id: string, line: number, durationMs: number, ongoing: boolean, samples = 1): BlockFinding {
  const site = { file: '/app/server.js', line, column: 3, function: 'busy' };
  return { v: 1, id, kind: 'block', time: 0, pid: 1, threadId: 0, message: '', site, frames: [site], durationMs, ongoing, samples };
}

describe('console reporter', () => {
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
