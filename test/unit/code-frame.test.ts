import { describe, expect, it } from 'vitest';
import { codeFrameColumns } from '../../src/code-frame.js';

describe('the lazy code-frame loader', () => {
  it("is @babel/code-frame's codeFrameColumns, loaded on the first call and kept", () => {
    const source = 'const a = 1;\nwhile (true) {}\nconst b = 2;\n';
    const first = codeFrameColumns(source, { start: { line: 2, column: 1 } }, { highlightCode: false, linesAbove: 1, linesBelow: 0 });
    expect(first.split('\n')).toEqual(['  1 | const a = 1;', '> 2 | while (true) {}', '    | ^']);
    expect(codeFrameColumns(source, { start: { line: 3, column: 7 } }, { highlightCode: false, linesAbove: 0, linesBelow: 0 })).toContain('> 3 | const b = 2;');
  });
});
