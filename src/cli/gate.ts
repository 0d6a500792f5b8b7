// The CI gate: which sites count, against which budget. A site counts when it has an application
// frame, its worst duration reaches --min-ms, and it is not in the baseline (block lines under their
// threshold are no sites at all: sites.ts). Budgets are numbers of counted sites per kind; without
// --budget, blocks have a budget of 0 and other kinds none, and with a baseline every kind has 0
// (anything new fails). Module loading after start-up (the `module-load` sites) is a warm-up: counted
// only when a budget names it (`--budget module-load=N`), never by `*` or a baseline alone.
import { UsageError } from './usage.js';
import { inBaseline, type Baseline } from './baseline.js';
import { MODULE_LOAD, type Site } from './sites.js';
import { isReportedKind, kindRow, REPORTED_KINDS } from '../kinds.js';

/** What --budget may name: the reported kinds, and module loading apart from blocks. */
const BUDGET_KINDS = [...REPORTED_KINDS, MODULE_LOAD];

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
      if (kind !== '*' && kind !== MODULE_LOAD && !isReportedKind(kind)) throw new UsageError(`ci: unknown kind ${JSON.stringify(kind)} in --budget; kinds: ${BUDGET_KINDS.join(', ')}, or * for all`);
      budgets.set(kind, Number(m[2]));
    }
  }
  return budgets;
}

export type SiteStatus = 'external' | 'not-counted' | 'below-min' | 'baseline' | 'within-budget' | 'over-budget';

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
  minMs: number;
  baseline: Baseline | null;
}

export function budgetFor(kind: string, options: GateOptions): number {
  if (kind === MODULE_LOAD) return options.budgets.get(MODULE_LOAD) ?? Infinity;
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
    else if ((s.kind === MODULE_LOAD || kindRow(s.kind)?.timed) && s.worstMs < options.minMs) status.set(s.key, 'below-min');
    else if (options.baseline && inBaseline(options.baseline, s)) status.set(s.key, 'baseline');
    else {
      const list = counted.get(s.kind) ?? [];
      list.push(s);
      counted.set(s.kind, list);
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
