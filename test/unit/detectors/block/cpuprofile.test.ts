// A block's `.cpuprofile` from the watchdog's stack reads: the call tree, hit counts and time deltas.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCpuProfile, writeCpuProfile } from '../../../../src/detectors/block/cpuprofile.js';
import type { Frame } from '../../../../src/finding.js';

const f = (fn: string, line: number, file = '/app/server.js'): Frame => ({ function: fn, file, line, column: 3 });
const TIMERS = f('listOnTimeout', 581, 'node:internal/timers');

describe('cpuprofile', () => {
  it('shares the outer frames of the reads in one tree; each read is a hit on its innermost node', () => {
    const p = buildCpuProfile(
      [
        { frames: [f('parse', 61), f('handler', 60), TIMERS], at: 1010 },
        { frames: [f('render', 70), f('handler', 60), TIMERS], at: 1030 },
        { frames: [f('parse', 61), f('handler', 60), TIMERS], at: 1035.5 },
      ],
      1000,
      1040,
    );
    expect(p.startTime).toBe(1_000_000);
    expect(p.endTime).toBe(1_040_000);
    expect(p.nodes.map((n) => n.callFrame.functionName)).toEqual(['(root)', 'listOnTimeout', 'handler', 'parse', 'render']);
    const handler = p.nodes[2]!;
    expect(handler.children).toEqual([4, 5]);
    expect(handler.callFrame).toMatchObject({ url: 'file:///app/server.js', lineNumber: 59, columnNumber: 2 });
    expect(p.nodes[1]!.callFrame.url).toBe('node:internal/timers');
    expect(p.samples).toEqual([4, 5, 4]);
    expect(p.nodes.map((n) => n.hitCount)).toEqual([0, 0, 0, 2, 1]);
    expect(p.timeDeltas).toEqual([10_000, 20_000, 5_500]); // microseconds since the previous read
    // One script id per file.
    expect(new Set(p.nodes.slice(2).map((n) => n.callFrame.scriptId)).size).toBe(1);
  });

  it('is written as asyncdebug-<pid>-<id>.cpuprofile; null when it cannot be', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-prof-'));
    const profile = buildCpuProfile([{ frames: [f('handler', 60)], at: 1010 }], 1000, 1020);
    const path = writeCpuProfile(join(dir, 'sub'), 'block-0-1', profile);
    expect(path).toBe(join(dir, 'sub', `asyncdebug-${process.pid}-block-0-1.cpuprofile`));
    expect(JSON.parse(readFileSync(path!, 'utf8'))).toEqual(profile);
    expect(writeCpuProfile(join(path!, 'not-a-dir'), 'block-0-2', profile)).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});
