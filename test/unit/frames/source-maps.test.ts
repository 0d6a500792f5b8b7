// Which files may need the in-memory map that only the thread that loaded them has.
import { writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryAt } from '../../../src/frames/map-entry.js';
import { fileNeedingThreadMap, mapFrame, mayNeedThreadMap } from '../../../src/frames/source-maps.js';
import type { Frame } from '../../../src/finding.js';
import { tempDir } from '../../helpers.js';

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

describe('a generated line with no mapping of its own', () => {
  // Generated line 1 maps to the source's line 1, line 2 has no mapping (code a transformer added),
  // line 3 maps to the source's line 6.
  const payload = { version: 3, file: 'out.js', sourceRoot: '', sources: ['orig.ts'], sourcesContent: [], names: [], mappings: 'AAAA;;AAKA' };

  it('has no entry: not the nearest mapping above it, which Node\'s findEntry gives', () => {
    const map = new SourceMap(payload);
    expect(map.findEntry(1, 4)).toMatchObject({ generatedLine: 0, originalLine: 0 }); // what Node answers
    expect(entryAt(map, 1, 4)).toBeNull();
    expect(entryAt(map, 2, 3)).toMatchObject({ originalLine: 5 });
  });

  it('a frame there keeps its generated position instead of being named the source\'s first line', () => {
    const dir = tempDir();
    const file = join(dir, 'out.js');
    writeFileSync(join(dir, 'out.js.map'), JSON.stringify(payload));
    writeFileSync(file, 'a();\n  b();\nc();\n//# sourceMappingURL=out.js.map\n');
    expect(mapFrame({ file, line: 2, column: 3, function: 'b' })).toEqual({ file, line: 2, column: 3, function: 'b' });
    expect(mapFrame({ file, line: 3, column: 1, function: 'c' })).toEqual({ file: join(dir, 'orig.ts'), line: 6, column: 1, function: 'c' });
  });
});
