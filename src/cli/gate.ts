// The CI gate: which sites count, against which budget. A site counts when it has an application
// frame, is in the code under test (not a test file), held the loop long enough in one block (below),
// and is not in the baseline (block lines under their threshold are no sites at all: sites.ts).
// Budgets are numbers of counted sites per kind; without --budget, blocks have a budget of 0 and other
// kinds none, and with a baseline every kind has 0 (anything new fails). Two classes are counted only
// when a budget names them: module loading after start-up (`module-load`, a warm-up) and the tests'
// own code (`test-code`: an assertion deep-comparing two servers blocks, but not the app).
//
// How long is long enough: by default a block site counts when one block spent twice its threshold at
// that site (the site's share of the thread's own time, not the wall clock). A block just over the
// threshold comes and goes with the machine's load and the JIT's warm-up (measured on real suites,
// docs/accuracy.md); a gate must give the same answer twice. `--min-ms N` sets the floor instead.
import { UsageError } from './usage.js';
import { inBaseline, type Baseline } from './baseline.js';
import { MODULE_LOAD, type Site } from './sites.js';
import { isReportedKind, kindRow, REPORTED_KINDS } from '../kinds.js';

/** The class of sites in test files (Site.testCode), budgeted apart. */
export const TEST_CODE = 'test-code';

/** What --budget may name: the reported kinds, module loading apart from blocks, the tests' own code. */
const BUDGET_KINDS = [...REPORTED_KINDS, MODULE_LOAD, TEST_CODE];

/** A block site counts by default when one block spent this many thresholds at it. */
export const DEFAULT_FLOOR_THRESHOLDS = 2;

/** Budgets per kind; `*` for every kind not named. */
export type Budgets = Map<string, number>;

export function parseBudgets(specs: string[]): Budgets {
  const budgets: Budgets = new Map();
  for (const spec of specs) {
    for (const part of spec.split(',')) {
      if (part.trim() === '') continue;
      const m = /^\s*([\w*-]+)\s*=\s*(\d+)\s*$/.exec(part);
      if (!m) throw new UsageError(`ci: bad --budget ${JSON.stringify(part.trim())}: expected kind=N, e.g. block=0,sync-io=10`);
      const kind = m[1]!;
      if (kind !== '*' && kind !== MODULE_LOAD && kind !== TEST_CODE && !isReportedKind(kind)) throw new UsageError(`ci: unknown kind ${JSON.stringify(kind)} in --budget; kinds: ${BUDGET_KINDS.join(', ')}, or * for all`);
      budgets.set(kind, Number(m[2]));
    }
  }
  return budgets;
}

export type SiteStatus = 'external' | 'not-counted' | 'test-code' | 'below-min' | 'baseline' | 'within-budget' | 'over-budget';

export interface KindVerdict {
  kind: string;
  counted: number;
  budget: number;
  over: boolean;
}

export interface Gate {
  status: Map<string, SiteStatus>;
  kinds: KindVerdict[];
  failed: boolean;
  usedBaseline: boolean;
}

export interface GateOptions {
  budgets: Budgets;
  /** The floor of a timed site's time, ms; null: twice the block threshold for blocks, none for the rest. */
  minMs: number | null;
  baseline: Baseline | null;
}

/** Whether a timed site held the loop long enough to count (see the header). */
function belowFloor(s: Site, minMs: number | null): boolean {
  const blockLike = s.kind === 'block' || s.kind === MODULE_LOAD;
  if (!blockLike && !kindRow(s.kind)?.timed) return false;
  const floor = minMs ?? (blockLike ? DEFAULT_FLOOR_THRESHOLDS * s.thresholdMs : 0);
  return (blockLike ? s.ownMs : s.worstMs) < floor;
}

/** The floor a site was held to, for the table's words. */
export function floorOf(s: Site, minMs: number | null): number {
  return minMs ?? (s.kind === 'block' || s.kind === MODULE_LOAD ? DEFAULT_FLOOR_THRESHOLDS * s.thresholdMs : 0);
}

export function budgetFor(kind: string, options: GateOptions): number {
  if (kind === MODULE_LOAD || kind === TEST_CODE) return options.budgets.get(kind) ?? Infinity;
  const explicit = options.budgets.get(kind) ?? options.budgets.get('*');
  if (explicit !== undefined) return explicit;
  if (options.baseline) return 0;
  return kind === 'block' ? 0 : Infinity;
}

export function evaluate(sites: Site[], options: GateOptions): Gate {
  const status = new Map<string, SiteStatus>();
  const counted = new Map<string, Site[]>();
  for (const s of sites) {
    if (s.file === null) status.set(s.key, 'external');
    else if (s.kind === MODULE_LOAD && !options.budgets.has(MODULE_LOAD)) status.set(s.key, 'not-counted');
    else if (s.testCode && s.kind !== MODULE_LOAD && !options.budgets.has(TEST_CODE)) status.set(s.key, 'test-code');
    else if (belowFloor(s, options.minMs)) status.set(s.key, 'below-min');
    else if (options.baseline && inBaseline(options.baseline, s)) status.set(s.key, 'baseline');
    else {
      const kind = s.testCode && s.kind !== MODULE_LOAD ? TEST_CODE : s.kind;
      const list = counted.get(kind) ?? [];
      list.push(s);
      counted.set(kind, list);
    }
  }
  const kinds: KindVerdict[] = [];
  for (const [kind, list] of counted) {
    const budget = budgetFor(kind, options);
    const over = list.length > budget;
    for (const s of list) status.set(s.key, over ? 'over-budget' : 'within-budget');
    kinds.push({ kind, counted: list.length, budget, over });
  }
  return { status, kinds, failed: kinds.some((k) => k.over), usedBaseline: options.baseline !== null };
}
