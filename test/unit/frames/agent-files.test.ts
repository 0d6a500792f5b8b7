// One answer to "is this the agent's own file?", for paths and file: URLs alike.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAgentFile, mentionsAgentFile } from '../../../src/frames/agent-files.js';
import { isAgentFrame, isAppFrame } from '../../../src/frames/frames.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const frame = (file: string) => ({ file, line: 1, column: 1, function: 'f' });

describe('the agent\'s own files', () => {
  it('are its dist/ and src/, as paths and as URLs; the app\'s files, tests and look-alike folders are not', () => {
    for (const file of [join(ROOT, 'dist/agent/thread-agent.cjs'), join(ROOT, 'src/detectors/wrap-sync.ts')]) {
      expect(isAgentFile(file), file).toBe(true);
      expect(isAgentFile(pathToFileURL(file).href), file).toBe(true);
      expect(isAgentFrame(frame(file))).toBe(true);
      expect(isAppFrame(frame(file))).toBe(false);
    }
    for (const file of [join(ROOT, 'test/unit/frames/agent-files.test.ts'), join(ROOT, 'distant/x.js'), join(ROOT, 'dist'), '/app/dist/server.js', 'node:fs', '']) {
      expect(isAgentFile(file), file).toBe(false);
    }
    expect(isAppFrame(frame(join(ROOT, 'test/unit/frames/agent-files.test.ts')))).toBe(true);
  });

  it('are found in a formatted stack line, by path or by URL', () => {
    expect(mentionsAgentFile(`    at wrapper (${join(ROOT, 'dist/agent/thread-agent.cjs')}:10:3)`)).toBe(true);
    expect(mentionsAgentFile(`    at ${pathToFileURL(join(ROOT, 'dist/api.js')).href}:1:1`)).toBe(true);
    expect(mentionsAgentFile('    at handler (/app/server.js:3:1)')).toBe(false);
  });
});
