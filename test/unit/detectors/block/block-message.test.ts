// The words of a block's message, from plain values.
import { describe, expect, it } from 'vitest';
import { blockMessage, type BlockWording } from '../../../../src/detectors/block/block-message.js';

const site = { file: '/app/src/server.js', line: 12, column: 5, function: 'handler' };
const base: BlockWording = {
  thread: 'main thread', durationMs: 1500, ongoing: false, site, siteMs: 1500, totalMs: 1500,
  origin: undefined, api: undefined, after: null, cwd: '/app',
};

describe('block message', () => {
  it('says the heaviest site\'s share only when it held less than 90% of the block', () => {
    expect(blockMessage({ ...base, siteMs: 900, totalMs: 1000 })).toBe('The event loop of the main thread was blocked for 1.50 s at handler (src/server.js:12:5).');
    expect(blockMessage({ ...base, siteMs: 899, totalMs: 1000 })).toBe('The event loop of the main thread was blocked for 1.50 s, 90% of it at handler (src/server.js:12:5).');
    expect(blockMessage({ ...base, siteMs: 0, totalMs: 0 })).not.toContain('% of it');
  });

  it('ongoing: the loop has not turned yet', () => {
    expect(blockMessage({ ...base, ongoing: true, durationMs: 250 })).toBe('The event loop of the main thread has not turned for 250 ms at handler (src/server.js:12:5).');
  });

  it('names the origin: a sync API, a module load, time outside JavaScript', () => {
    expect(blockMessage({ ...base, origin: 'sync-api', api: 'fs.readFileSync' })).toBe(
      'The event loop of the main thread was blocked for 1.50 s in fs.readFileSync called at handler (src/server.js:12:5).',
    );
    expect(blockMessage({ ...base, origin: 'module-load' })).toContain('loading a module on first use');
    const after = { ...site, line: 10 };
    expect(blockMessage({ ...base, origin: 'native', after })).toBe(
      'The event loop of the main thread was blocked for 1.50 s outside JavaScript (JSON, a regular expression, a native addon or compilation), in a call between src/server.js:10:5 and src/server.js:12:5.',
    );
    // A file outside cwd keeps its full path.
    expect(blockMessage({ ...base, origin: 'native', site: { ...site, file: '/lib/x.js' } })).toContain('in a call that returned at handler (/lib/x.js:12:5).');
  });

  it('names the heavy caller of a site reached by more than one way, with that way\'s share', () => {
    const caller = { ...site, line: 30, function: 'renderReport' };
    expect(blockMessage({ ...base, caller, callerMs: 1230 })).toBe(
      'The event loop of the main thread was blocked for 1.50 s, 82% of it at handler (src/server.js:12:5) ← renderReport (src/server.js:30:5).',
    );
    expect(blockMessage({ ...base, caller, callerMs: 1400, origin: 'sync-api', api: 'fs.readFileSync' })).toBe(
      'The event loop of the main thread was blocked for 1.50 s in fs.readFileSync called at handler (src/server.js:12:5) ← renderReport (src/server.js:30:5).',
    );
  });
});
