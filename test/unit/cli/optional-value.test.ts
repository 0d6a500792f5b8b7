import { describe, expect, it } from 'vitest';
import { takeOptionalValue } from '../../../src/cli/optional-value.js';

const pid = (word: string) => /^\d+$/.test(word);

describe('an option whose value may be left out', () => {
  it('takes --name, --name=V and --name V (V only when it looks like one), and leaves the command after --', () => {
    expect(takeOptionalValue(['--attach', '42', '--list'], 'attach', pid)).toEqual({ given: true, value: '42', rest: ['--list'] });
    expect(takeOptionalValue(['--attach', 'node', 'app.js'], 'attach', pid)).toEqual({ given: true, value: undefined, rest: ['node', 'app.js'] });
    expect(takeOptionalValue(['--attach=x'], 'attach', pid)).toEqual({ given: true, value: 'x', rest: [] });
    expect(takeOptionalValue(['--log', 'f', '--', '--attach', '1'], 'attach', pid)).toEqual({ given: false, value: undefined, rest: ['--log', 'f', '--', '--attach', '1'] });
  });
});
