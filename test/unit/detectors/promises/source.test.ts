import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callForm } from '../../../../src/detectors/promises/source.js';
import { tempDir } from '../../../helpers.js';

/** Writes one line of code and asks for the form of the call whose callee starts at `marker`. */
function formOf(code: string, marker: string): string {
  const file = join(tempDir(), 'app.mjs');
  writeFileSync(file, `// line 1\n${code}\n`);
  const column = code.indexOf(marker) + 1;
  return callForm({ file, line: 2, column, function: 'f' });
}

describe('callForm: what the code did with a call whose promise nobody consumed', () => {
  it('a call that is a whole statement', () => {
    expect(formOf('  save(user);', 'save')).toBe('statement');
    expect(formOf('  this.repo.flush();', 'flush')).toBe('statement');
    expect(formOf('  fs.promises.writeFile(p, d);', 'writeFile')).toBe('statement');
    expect(formOf('  if (dirty) save(user);', 'save')).toBe('statement');
    expect(formOf('  } else save(user);', 'save')).toBe('statement');
    expect(formOf('  dirty && save(user);', 'save')).toBe('statement');
    expect(formOf('a(); save(user);', 'save')).toBe('statement');
  });

  it('void and an IIFE are deliberate', () => {
    expect(formOf('  void save(user);', 'save')).toBe('void');
    expect(formOf('  void this.repo.flush();', 'flush')).toBe('void');
    expect(formOf('(async () => { await x; })();', '();')).toBe('iife');
    expect(formOf('  (async function job() {})();', '();')).toBe('iife');
  });

  it('a promise assigned, returned or passed on is an expression', () => {
    expect(formOf('  this.ready = this.init();', 'init')).toBe('expression');
    expect(formOf('  const p = save(user);', 'save')).toBe('expression');
    expect(formOf('  return save(user);', 'save')).toBe('expression');
    expect(formOf('  cache.set(key, load(key));', 'load')).toBe('expression');
    expect(formOf('  list.push(save(user));', 'save')).toBe('expression');
    expect(formOf('  const x = void 0; f(save(user));', 'save')).toBe('expression');
    expect(formOf('  setTimeout(() => save(user), 10);', 'save')).toBe('expression');
  });

  it('an unreadable file is unknown', () => {
    expect(callForm({ file: '/nonexistent/app.mjs', line: 1, column: 1, function: 'f' })).toBe('unknown');
  });
});
