// Which files may need the in-memory map that only the thread that loaded them has.
import { describe, expect, it } from 'vitest';
import { fileNeedingThreadMap, mayNeedThreadMap } from '../../../src/frames/source-maps.js';
import type { Frame } from '../../../src/finding.js';

const f = (file: string): Frame => ({ file, line: 1, column: 1, function: 'f' });

describe('mayNeedThreadMap', () => {
  it('TypeScript and other transpiled sources may; plain JavaScript, with an extension or without, does not', () => {
    expect(mayNeedThreadMap('/no/such/app/server.ts')).toBe(true);
    expect(mayNeedThreadMap('/no/such/app/view.jsx')).toBe(true);
    expect(mayNeedThreadMap('/no/such/app/server.js')).toBe(false);
    expect(mayNeedThreadMap('/no/such/app/server.mjs')).toBe(false);
    expect(mayNeedThreadMap('/no/such/app/bin/www')).toBe(false);
    expect(mayNeedThreadMap('relative/server.ts')).toBe(false);
  });

  it('under a test runner that transforms every module (vitest), JavaScript files may too, extensionless ones still not', () => {
    expect(mayNeedThreadMap('/no/such/app/a.test.mjs', true)).toBe(true);
    expect(mayNeedThreadMap('/no/such/app/bin/www', true)).toBe(false);
    const isApp = (fr: Frame) => !fr.file.includes('/node_modules/');
    expect(fileNeedingThreadMap([f('/no/such/app/a.test.mjs'), f('/no/such/node_modules/@vitest/runner/dist/index.js')], isApp)).toBe('/no/such/app/a.test.mjs');
    expect(fileNeedingThreadMap([f('/no/such/app/a.mjs'), f('node:internal/timers')], isApp)).toBeUndefined();
  });
});
