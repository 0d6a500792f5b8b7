// What the source says at a call site, for the two fire-and-forget forms that leave no trace at run
// time: `void promise` (the operator evaluates and drops; V8 records nothing) and an IIFE
// (`(async () => { ... })()`). Read only when a finding is about to be made, one file once per thread
// (cached), with the unwrapped readFileSync so the sync-I/O detector does not see the agent's reads.
import { readFileSync } from '../../original.js';
import type { Frame } from '../../finding.js';

const files = new Map<string, string[] | null>();

function lineOf(file: string, line: number): string | null {
  let lines = files.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, 'utf8').split('\n');
    } catch {
      lines = null; // not on disk (eval, a REPL): nothing to read
    }
    files.set(file, lines);
  }
  return lines?.[line - 1] ?? null;
}

export type CallForm = 'void' | 'iife' | 'call' | 'unknown';

/**
 * The form of the call whose position V8 reports at `site` (the column of the callee's name, or of the
 * argument list when the callee is a parenthesized expression).
 */
export function callForm(site: Frame): CallForm {
  const text = lineOf(site.file, site.line);
  if (text === null || site.column < 1 || site.column > text.length + 1) return 'unknown';
  const before = text.slice(0, site.column - 1);
  // `void fn()`, `void obj.fn()`, `void this.x.fn()`, `void (await x).fn()`: the operand starts at a
  // `void` keyword with only a member path in between.
  if (/(^|[^\w$.])void\s+(\(?[\w$.\]\[)'"]*\s*(\?\.|\.)?\s*)$/.test(before)) return 'void';
  // The callee is `(...)` followed by the argument list: V8 points at that `(`, right after a `)`.
  if (text[site.column - 1] === '(' && /\)\s*$/.test(before)) return 'iife';
  return 'call';
}
