// The words of a gap's verdict: the split, a withdrawn block, why a block has no site.
import { describe, expect, it } from 'vitest';
import { agentsOwn, inCallback, roundSplit, sitelessReason, splitSentence, withdrawnMessage } from '../../../../src/detectors/block/gap-verdict.js';

const node = (file: string, fn = 'f') => ({ file, line: 1, column: 1, function: fn });

describe('a gap in words', () => {
  it('says the split only when a tenth or more of the block was asleep or waiting for a CPU', () => {
    expect(splitSentence(300, { cpuMs: 295, sleepMs: 5, starvedMs: 0 })).toBe('');
    expect(splitSentence(250, { cpuMs: 210, sleepMs: 0, starvedMs: 40 })).toBe('Of the 250 ms, 210 ms on a CPU and 40 ms waiting for a CPU (other work had the cores).');
    expect(splitSentence(300, { cpuMs: 50, sleepMs: 200, starvedMs: 50 })).toMatch(/^Of the 300 ms, 50 ms on a CPU, 200 ms asleep off a CPU \(.*\) and 50 ms waiting for a CPU/);
  });

  it('rounds a split to whole ms that still add up', () => {
    const r = roundSplit({ cpuMs: 100.5, sleepMs: 100.5, starvedMs: 100.4 });
    expect(r.cpuMs + r.sleepMs + r.starvedMs).toBe(301);
  });

  it('a withdrawn block says what the gap was instead', () => {
    const m = withdrawnMessage('main thread', 195, 160, 28, { cpuMs: 20, sleepMs: 0, starvedMs: 8 }, 100);
    expect(m).toBe('The event loop of the main thread did not turn for 195 ms, but it was no block of the app: 160 ms of it was start-up (module loading), 8.0 ms waiting for a CPU (other work had the cores); the thread\'s own time, 20 ms, is under the 100 ms threshold.');
  });

  it('why a block has no site', () => {
    expect(sitelessReason({ frames: [node('node:internal/timers', 'listOnTimeout')], late: true }, true)).toBe('outside JavaScript in a timer callback: the stack could only be read after it returned');
    expect(sitelessReason({ frames: [node('/p/node_modules/lib/index.js', 'crunch'), node('node:internal/timers')], late: false }, true)).toMatch(/^only library code on the stack, e\.g\. crunch \(lib\/index\.js:1\)/);
    expect(sitelessReason({ frames: [], late: true }, true)).toMatch(/no JavaScript was on the stack/);
    // One prompt read in the timers' code: the callback had just returned.
    expect(sitelessReason({ frames: [node('node:internal/timers', 'listOnTimeout')], late: false }, true, 1)).toBe('the stack was first read as a timer callback ended, too late to see the code that ran');
    expect(sitelessReason({ frames: [node('node:internal/timers', 'listOnTimeout')], late: false }, true, 9)).toMatch(/^only Node's own code on the stack in a timer callback/);
    expect(sitelessReason(null, false)).toMatch(/no stack reader/);
  });

  it('a late read in a gap spent mostly waiting for a CPU: the wait is the reason, not native code', () => {
    const timers = { frames: [node('node:internal/timers', 'listOnTimeout')], late: true };
    // CI, Node 20, 140 workers on 2 cores: 115 ms on a CPU, 255 ms waiting for one.
    expect(sitelessReason(timers, true, 3, { cpuMs: 115, sleepMs: 0, starvedMs: 255 })).toBe(
      'the thread waited 255 ms of it for a CPU (other work had the cores), so the stack was read only when it ran again, in a timer callback',
    );
    // A native call that was also kept waiting a while: still outside JavaScript.
    expect(sitelessReason(timers, true, 3, { cpuMs: 150, sleepMs: 0, starvedMs: 100 })).toBe('outside JavaScript in a timer callback: the stack could only be read after it returned');
    // A prompt read says what ran, whatever the wait.
    expect(sitelessReason({ ...timers, late: false }, true, 9, { cpuMs: 100, sleepMs: 0, starvedMs: 300 })).toMatch(/^only Node's own code on the stack in a timer callback/);
  });

  it('the agent\'s own work is never a block of the app; a library passing through the agent\'s wrappers is', () => {
    const agent = node(`${process.cwd()}/dist/reporters/otel.js`, 'makeInstruments');
    const wrapper = node(`${process.cwd()}/dist/detectors/wrap-sync.js`, 'readFileSync');
    expect(agentsOwn({ frames: [node('/p/node_modules/@opentelemetry/sdk-metrics/x.js'), agent, node('node:internal/timers')] })).toBe(true);
    expect(agentsOwn({ frames: [node('node:fs', 'readFileSync'), wrapper, node('/p/node_modules/poller/index.js', 'poll'), node('node:internal/timers')] })).toBe(false);
    expect(agentsOwn({ frames: [] })).toBe(false);
    // the app's fs callback, called through the agent's pool wrapper: the app's
    const poolWrapper = node(`${process.cwd()}/dist/detectors/threadpool/pool-wrappers.js`, 'asyncdebugPoolCallback');
    expect(agentsOwn({ frames: [node('/app/a.js', 'busy'), poolWrapper, node('node:internal/fs/utils')] })).toBe(false);
  });

  it('a read in a callback\'s dispatch was that callback\'s, also at exit; one in the exit\'s own code was not', () => {
    expect(inCallback({ frames: [node('node:internal/timers', 'listOnTimeout')] })).toBe(true);
    expect(inCallback({ frames: [node('node:events', 'emit')] })).toBe(false);
    expect(inCallback(null)).toBe(false);
  });
});

describe('the facts every block line carries', () => {
  it('a block outside JavaScript that the thread slept through is not called JSON or a regular expression', async () => {
    const { blockMessage } = await import('../../../../src/detectors/block/block-message.js');
    const { addBlockFacts } = await import('../../../../src/detectors/block/gap-verdict.js');
    const site = node('/app/a.js', 'readPipe');
    const message = blockMessage({ thread: 'main thread', durationMs: 270, ongoing: false, site, siteMs: 270, totalMs: 270, origin: 'native', api: undefined, after: null, cwd: '/app' });
    const f = { kind: 'block', durationMs: 270, message, origin: { type: 'native', frames: [] } } as never as import('../../../../src/finding.js').BlockFinding;
    addBlockFacts(f, 100, { cpuMs: 5, sleepMs: 260, starvedMs: 5 }, false);
    expect(f.message).not.toContain('JSON');
    expect(f.message).toContain('outside JavaScript, asleep (sync I/O, a lock or a native wait)');
    expect(f).toMatchObject({ thresholdMs: 100, cpuMs: 5, sleepMs: 260, starvedMs: 5 });
  });
});
