// What the source says at a call site whose promise nobody consumed: what the code did with the promise
// leaves no trace at run time (`void p` evaluates and drops; an assignment or a `return` is invisible to
// promise hooks). Read only when a finding is about to be made, each file once per thread (cached), with
// the unwrapped readFileSync so the sync-I/O detector does not see the agent's reads.
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

export type CallForm = 'statement' | 'void' | 'iife' | 'expression' | 'unknown';

/** The member path in front of a called name: `this.repo.`, `db?.`, `fs.promises.`. */
const MEMBER_PATH = /(?:[\w$]+\s*(?:\?\.|\.)\s*)+$/;
/** What may come right before a call that is a whole statement (or the operand of && || ??). */
const STATEMENT_START = /(?:^|[;{}]|\)|\belse|\bdo|&&|\|\||\?\?)\s*$/;

/**
 * The form of the call whose position V8 reports at `site` (the column of the callee's name, or of the
 * argument list when the callee is a parenthesized expression), read on the site's line:
 * - `statement`: the call is an expression statement, `save(x);` (what typescript-eslint's
 *   no-floating-promises calls a floating promise), also after `if (...)`, `else`, `&&`, `||`, `??`;
 * - `void`: `void save(x)`; `iife`: `(async () => { ... })()`;
 * - `expression`: anything else (assigned, returned, passed as an argument, in an array): the code did
 *   something with the promise on purpose, and whatever it was is not visible here;
 * - `unknown`: the file cannot be read.
 */
export function callForm(site: Frame): CallForm {
  const text = lineOf(site.file, site.line);
  if (text === null || site.column < 1 || site.column > text.length + 1) return 'unknown';
  const before = text.slice(0, site.column - 1);
  // The callee is `(...)` followed by the argument list: V8 points at that `(`, right after a `)`.
  if (text[site.column - 1] === '(' && /\)\s*$/.test(before)) return 'iife';
  const head = before.replace(MEMBER_PATH, '');
  if (/(?:^|[^\w$.])void\s*$/.test(head)) return 'void';
  return STATEMENT_START.test(head) ? 'statement' : 'expression';
}
