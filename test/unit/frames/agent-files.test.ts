// One answer to "is this the agent's own file?", for paths and file: URLs alike.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAgentFile, mentionsAgentFile } from '../../../src/frames/agent-files.js';
import { hideAgentFrames, raiseStackLimit, restoreStackLimit } from '../../../src/frames/hide.js';
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

describe('hideAgentFrames', () => {
  it('drops the "at" lines of the agent\'s files and keeps the message and the app\'s lines', () => {
    const err = new Error('boom');
    const agent = join(ROOT, 'dist/agent/thread-agent.cjs');
    err.stack = ['Error: boom', '    at readFileSync (node:fs:1:1)', `    at wrapper (${agent}:5:7)`, '    at handler (/app/server.js:3:1)'].join('\n');
    hideAgentFrames(err);
    expect(err.stack).toBe(['Error: boom', '    at readFileSync (node:fs:1:1)', '    at handler (/app/server.js:3:1)'].join('\n'));
  });

  it('leaves alone what is no Error or names no agent file', () => {
    const err = new Error('x');
    const before = err.stack;
    hideAgentFrames(err);
    expect(err.stack).toBe(before);
    expect(() => hideAgentFrames(null)).not.toThrow();
    expect(() => hideAgentFrames({ stack: 'at x (dist/y.js)' })).not.toThrow();
  });

  it('the stack limit is raised by our frames and put back, unless the app changed it meanwhile', () => {
    const app = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 10;
      const limit = raiseStackLimit(3);
      expect(Error.stackTraceLimit).toBe(13);
      restoreStackLimit(limit, 3);
      expect(Error.stackTraceLimit).toBe(10);
      const again = raiseStackLimit(3);
      Error.stackTraceLimit = 50; // the app's own change wins
      restoreStackLimit(again, 3);
      expect(Error.stackTraceLimit).toBe(50);
      Error.stackTraceLimit = Infinity;
      expect(raiseStackLimit(3)).toBe(-1);
      expect(Error.stackTraceLimit).toBe(Infinity);
    } finally {
      Error.stackTraceLimit = app;
    }
  });
});
