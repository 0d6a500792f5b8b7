import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppFrame, isModuleLoading, siteOf, toFrames } from '../../../src/frames/frames.js';

describe('frames', () => {
  it('file: URLs become paths and the site skips internals and node_modules', () => {
    const frames = toFrames([
      { function: 'stringify', file: 'node:internal/x', line: 1, column: 1 },
      { function: 'lib', file: '/app/node_modules/lib/index.js', line: 2, column: 3 },
      { function: '?', file: 'file:///app/src/server.js', line: 10, column: 5 },
    ]);
    expect(frames[2]).toEqual({ file: '/app/src/server.js', line: 10, column: 5, function: '<anonymous>' });
    expect(siteOf(frames)).toBe(frames[2]);
    expect(isAppFrame(frames[1]!)).toBe(false);
  });

  it('blocks whose outermost frame is the module loader are start-up', () => {
    const f = (file: string) => ({ file, line: 1, column: 1, function: 'f' });
    expect(isModuleLoading([f('/app/a.js'), f('node:internal/modules/cjs/loader')])).toBe(true);
    expect(isModuleLoading([f('/app/a.js'), f('node:internal/timers')])).toBe(false);
    expect(isModuleLoading([])).toBe(false);
  });

  it('maps through an inline source map', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-map-'));
    // generated line 1 col 0 -> original src/app.ts line 5 col 2 (VLQ "AAIE" = [0,0,4,2])
    const map = { version: 3, file: 'app.js', sources: ['src/app.ts'], names: [], mappings: 'AAIE' };
    const file = join(dir, 'app.js');
    writeFileSync(file, `busy();\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`);
    const [frame] = toFrames([{ function: 'busy', file, line: 1, column: 1 }]);
    expect(frame).toEqual({ file: join(dir, 'src/app.ts'), line: 5, column: 3, function: 'busy' });
  });

  it('a broken source map keeps the generated position', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asyncdebug-map-'));
    const file = join(dir, 'app.js');
    writeFileSync(file, 'x();\n//# sourceMappingURL=missing.js.map\n');
    expect(toFrames([{ function: 'x', file, line: 1, column: 1 }])[0]).toMatchObject({ file, line: 1 });
  });
});
