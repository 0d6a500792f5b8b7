// Strings from reports and agents reach terminals: control characters in them are shown, not obeyed.
import { describe, expect, it } from 'vitest';
import { safeStrings, safeText } from '../../src/safe-text.js';
import { parseAgentMessage } from '../../src/tui/protocol.js';

describe('safe text', () => {
  it('escapes C0, DEL, C1 and bidirectional overrides; keeps tabs and newlines unless on one line', () => {
    expect(safeText('a\u001b[2Jb\u0007c\u007fd\u009be\u202ef')).toBe('a\\u001b[2Jb\\u0007c\\u007fd\\u009be\\u202ef');
    expect(safeText('x\ty\nz')).toBe('x\ty\nz');
    expect(safeText('x\ty\nz', true)).toBe('x\\u0009y\\u000az');
    expect(safeText('plain: ü ✓ 日本')).toBe('plain: ü ✓ 日本');
  });

  it('every string of a parsed value, keys too; other values untouched', () => {
    expect(safeStrings({ a: ['\u001b', 1, null, true], ['k\u001b']: { n: 2.5 } })).toEqual({ a: ['\\u001b', 1, null, true], 'k\\u001b': { n: 2.5 } });
  });

  it("the TUI's parser hands the UI an agent's finding with its escapes made visible", () => {
    const f = { v: 1, id: 'x', kind: 'unhandled-rejection', pid: 1, threadId: 0, time: 0, message: 'Error: \u001b]0;title\u0007', site: null, frames: [] };
    const m = parseAgentMessage(JSON.stringify({ t: 'finding', f }));
    expect(m).toMatchObject({ t: 'finding', f: { message: 'Error: \\u001b]0;title\\u0007' } });
  });
});
