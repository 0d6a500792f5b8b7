// The report's per-site budget, for what the block split adds: module loading counted apart, and a
// block withdrawn by its final line counted nowhere.
import { describe, expect, it } from 'vitest';
import { createSiteBudget } from '../../../src/reporters/report-budget.js';
import type { AggregateRecord, BlockFinding } from '../../../src/finding.js';

const site = { file: '/app/a.js', line: 3, column: 1, function: 'load' };
let n = 0;
function block(extra: Partial<BlockFinding> = {}): BlockFinding {
  return { v: 1, id: `block-0-${++n}`, kind: 'block', time: 1, pid: 1, threadId: 0, message: 'm', site, frames: [site], durationMs: 150, ongoing: false, thresholdMs: 100, ...extra };
}

describe('the report\'s site budget and the block split', () => {
  it('past the full records, module loading is aggregated apart, and a withdrawn block not at all', () => {
    const budget = createSiteBudget(1, 60_000);
    expect(budget.take(block(), 0)).toHaveLength(1); // the first in full
    expect(budget.take(block({ phase: 'module-load' }), 0)).toHaveLength(1); // its own site: in full too
    const ordinary = budget.take(block(), 0) as AggregateRecord[];
    const loading = budget.take(block({ phase: 'module-load' }), 0) as AggregateRecord[];
    expect(ordinary[0]).toMatchObject({ kind: 'aggregate', of: 'block', count: 1 });
    expect(ordinary[0]).not.toHaveProperty('phase');
    expect(loading[0]).toMatchObject({ kind: 'aggregate', of: 'block', count: 1, phase: 'module-load' });
    expect(budget.take(block({ durationMs: 28 }), 0)).toEqual([]);
    expect(budget.pending(1)).toEqual([]);
  });
});
