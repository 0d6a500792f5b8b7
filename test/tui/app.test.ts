// The Ink UI with Ink's own testing library (ink-testing-library): frames as text, keys on stdin.
import chalk from 'chalk';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { App, type AppProps } from '../../src/tui/app.js';
import { createStore, type Store } from '../../src/tui/store.js';
import { block, finding, frame as at, health, healthMsg, hello, msg, PID, until } from './tui-helpers.js';

const ESC = '\u001b';
const instances: Array<{ unmount(): void }> = [];
afterEach(() => {
  for (const i of instances.splice(0)) i.unmount();
});

function show(store: Store, over: Partial<AppProps> = {}) {
  const quits: number[] = [];
  const r = render(createElement(App, { store, title: 'node server.js', color: false, size: { columns: 80, rows: 24 }, tickMs: 50, onQuit: () => quits.push(1), ...over }));
  instances.push(r);
  const frame = () => r.lastFrame() ?? '';
  const press = async (key: string, expectText?: string | RegExp) => {
    r.stdin.write(key);
    if (expectText) await until(() => (typeof expectText === 'string' ? frame().includes(expectText) : expectText.test(frame())), `${JSON.stringify(key)} to show ${expectText}`, 5000);
  };
  return { r, frame, press, quits };
}

function busyStore(): Store {
  const store = createStore();
  store.dispatch(msg(hello()));
  store.dispatch(healthMsg([health(), health({ threadId: 1, threadName: 'resizer', elu: 0.95, starvedMs: 240, starvedGaps: 2, delay: { min: 1, max: 130, mean: 20, p50: 12, p90: 90, p99: 120 } })]));
  store.dispatch(msg({ t: 'finding', f: block({ durationMs: 310 }) }));
  store.dispatch(msg({ t: 'finding', f: block({ durationMs: 190 }) }));
  store.dispatch(msg({ t: 'finding', f: block({ durationMs: 120, site: at(30, 'parseBody'), threadId: 1, threadName: 'resizer' }) }));
  store.dispatch(msg({ t: 'finding', f: finding('sync-io', { api: 'fs.readFileSync', count: 40, durationMs: 6.1, maxMs: 0.4 }) }));
  store.dispatch(msg({ t: 'finding', f: finding('unawaited', { settled: 'rejected', site: at(44, 'save') }) }));
  store.dispatch(msg({ t: 'finding', f: finding('threadpool-saturation', { queued: 8, poolSize: 4, durationMs: 396 }) }));
  return store;
}

describe('tui app (ink-testing-library)', () => {
  it('shows threads, top blocking sites, sync I/O, pool, unawaited and the findings, within 80x24', async () => {
    const { frame } = show(busyStore());
    await until(() => frame().includes('Top blocking sites'), 'the first frame');
    const text = frame();
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    expect(text).toContain('asyncdebug tui node server.js');
    expect(text).toMatch(/4242 main/);
    expect(text).toMatch(/4242 worker 1 "res/);
    // How long each thread waited for a CPU inside stalls of its loop (no block): a column of its own.
    expect(text).toMatch(/util starved/);
    expect(text).toMatch(/4242 worker 1 "re.*95%\s+240 ms/);
    expect(text).toMatch(/4242 main .*%\s+-\s/);
    expect(text).toMatch(/server\.js:8 spin\s+2\s+500 ms\s+310 ms/);
    expect(text).toMatch(/server\.js:30 parseBody\s+1\s+120 ms/);
    expect(text).toContain('sync I/O 1 site 40× 6.1 ms');
    expect(text).toContain('pool 4 full 1× 8 queued ≤396 ms');
    expect(text).toContain('unawaited 1');
    expect(text).toContain('no thread is blocked now');
    expect(text).toContain('q quit');
    expect(text).not.toContain(ESC);
  });

  it('shows the thread blocked right now, and where, while the block goes on; then not', async () => {
    const store = createStore();
    store.dispatch(msg(hello()));
    store.dispatch(healthMsg([health()]));
    const { frame } = show(store);
    await until(() => frame().includes('no thread is blocked now'), 'an idle frame');
    store.dispatch(msg({ t: 'finding', f: block({ id: 'live', ongoing: true, durationMs: 105, time: Date.now() - 1500 }) }));
    await until(() => /BLOCKED NOW pid 4242 main for 1\.\d s at server\.js:8 spin/.test(frame()), 'BLOCKED NOW with its site');
    expect(frame()).toMatch(/block\s+≥105 ms \(still blocked\) server\.js:8 spin/);
    store.dispatch(msg({ t: 'finding', f: block({ id: 'live', ongoing: false, durationMs: 1600 }) }));
    await until(() => frame().includes('no thread is blocked now'), 'the block to end');
    expect(frame()).not.toContain('still blocked');
  });

  it('moves the selection, opens a finding with its stack and code frame, filters by kind, pauses, clears, helps, quits', async () => {
    const store = busyStore();
    const { frame, press, quits } = show(store);
    await until(() => frame().includes('following newest'), 'the list');
    // newest first: the pool finding is selected
    expect(frame()).toMatch(/^> \d\d:\d\d:\d\d threadpool /m);
    await press('j', /^> \d\d:\d\d:\d\d unawaited/m);
    await press('\u001b[B', /^> \d\d:\d\d:\d\d sync-io/m);
    await press('\r', 'enter/esc: back');
    expect(frame()).toContain('at load (server.js:20:3)');
    await press('\u001b', 'Top blocking sites');
    await press('f', 'kind: block');
    expect(frame()).not.toMatch(/^. \d\d:\d\d:\d\d sync-io/m);
    await press('p', 'PAUSED');
    store.dispatch(msg({ t: 'finding', f: block({ durationMs: 999, site: at(77, 'later') }) }));
    await new Promise((r) => setTimeout(r, 200));
    expect(frame()).not.toContain('later');
    await press('p', 'later');
    await press('c', 'none yet');
    expect(frame()).toContain('no blocks yet');
    expect(frame()).toMatch(/4242 main/);
    await press('?', 'Keys');
    await press('x', 'Top blocking sites');
    await press('q');
    await until(() => quits.length === 1, 'q to quit');
  });

  it('a block that served a request shows it in the list, before the site, and in its detail', async () => {
    const store = createStore();
    store.dispatch(msg(hello()));
    const request = { method: 'GET', route: '/api/users/:id', routeFrom: 'framework' as const };
    store.dispatch(msg({ t: 'finding', f: block({ durationMs: 420, request, requests: [{ ...request, time: 1, durationMs: 240 }, { ...request, time: 2, durationMs: 170 }] }) }));
    const { frame, press } = show(store, { size: { columns: 120, rows: 24 } });
    await until(() => frame().includes('2 requests to GET /api/users/:id'), 'the request in the list');
    expect(frame()).toMatch(/420 ms 2 requests to GET \/api\/users\/:id server\.js:8 spin/);
    await press('\r', 'enter/esc: back');
    expect(frame()).toContain('request: GET /api/users/:id 240 ms, GET /api/users/:id 170 ms');
  });

  it('uses a larger terminal: more rows, a sync-I/O table', async () => {
    const store = busyStore();
    for (let i = 0; i < 6; i++) store.dispatch(msg({ t: 'finding', f: finding('sync-io', { api: `fs.statSync`, count: i + 1, durationMs: i, site: at(100 + i, `stat${i}`) }) }));
    const { frame } = show(store, { size: { columns: 140, rows: 50 } });
    await until(() => frame().includes('Sync I/O sites'), 'the sync-I/O table');
    const lines = frame().split('\n');
    expect(lines.length).toBeLessThanOrEqual(49);
    expect(lines.length).toBeGreaterThan(40);
    expect(frame()).toMatch(/server\.js:20 load\s+fs\.readFileSync\s+40/);
  });

  it('with color, draws colors; without (NO_COLOR), none at all', async () => {
    const level = chalk.level;
    chalk.level = 1;
    try {
      const colored = show(busyStore(), { color: true });
      await until(() => colored.frame().includes('Top blocking sites'), 'a colored frame');
      expect(colored.frame()).toContain(`${ESC}[`);
      const plain = show(busyStore(), { color: false });
      await until(() => plain.frame().includes('Top blocking sites'), 'a plain frame');
      expect(plain.frame()).not.toContain(ESC);
      // without color the selection is still visible
      expect(plain.frame()).toMatch(/^> /m);
    } finally {
      chalk.level = level;
    }
  });

  it('says what it waits for before any agent connects, and when a process has exited', async () => {
    const store = createStore();
    const { frame } = show(store, { waitingText: 'waiting for the first Node process of the command…' });
    await until(() => frame().includes('waiting for the first Node process'), 'the waiting text');
    store.dispatch(msg(hello()));
    store.dispatch(healthMsg([health()]));
    store.setCommand({ state: 'running', text: 'running' });
    await until(() => frame().includes('● running'), 'running');
    store.dispatch({ type: 'gone', path: '/x', pid: PID, reason: 'exited' });
    store.setCommand({ state: 'ended', text: 'exited with code 0' });
    await until(() => /4242 main.*exited/.test(frame()) && frame().includes('exited with code 0'), 'exited');
  });

  it("o shows the end of the command's output; t shows one process at a time", async () => {
    const store = busyStore();
    store.dispatch(msg(hello(7), 7));
    store.dispatch(healthMsg([health({}, 7)], 7));
    store.dispatch(msg({ t: 'finding', f: block({ pid: 7, durationMs: 777, site: at(3, 'other', '/srv/app/other.js') }) }, 7));
    const { frame, press } = show(store, { logFile: '/tmp/x.log', readLog: () => ['first line', 'listening on 3000', 'last line'] });
    await until(() => frame().includes('other.js:3 other'), 'both processes');
    await press('o', 'output of the command: /tmp/x.log');
    expect(frame()).toContain('listening on 3000');
    await press('o', 'Top blocking sites');
    await press('t', /0:\d\d · pid 7$/m);
    expect(frame()).not.toContain('server.js:8 spin');
    expect(frame()).toMatch(/^\s+7 main/m);
    expect(frame()).not.toMatch(/4242 main/);
    await press('t', /0:\d\d · pid 4242$/m);
    expect(frame()).not.toContain('other.js:3 other');
    await press('t', /processes · 0:\d\d$/m);
    expect(frame()).toContain('other.js:3 other');
  });

  it('follows the terminal when it is resized', async () => {
    const { r, frame } = show(busyStore(), { size: undefined });
    await until(() => frame().includes('Top blocking sites'), 'the first frame');
    expect(Math.max(...frame().split('\n').map((l) => [...l].length))).toBeGreaterThan(80);
    Object.defineProperty(r.stdout, 'columns', { value: 60, configurable: true });
    r.stdout.emit('resize');
    await until(() => Math.max(...frame().split('\n').map((l) => [...l].length)) <= 60, 'lines of 60 columns at most');
  });
});
