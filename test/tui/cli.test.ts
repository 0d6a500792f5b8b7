// `asyncdebug tui` on the command line without a terminal: help, usage errors, --list, the refusal
// to draw on something that is not an interactive terminal; and the keys as a pure function.
import { describe, expect, it } from 'vitest';
import { commandTitle, tuiEnv } from '../../src/cli/tui-command.js';
import { REGISTER_URL } from '../../src/cli/inject.js';
import { handleKey, splitKeys } from '../../src/tui/keys.js';
import { initialUi } from '../../src/tui/screen.js';
import { runCli } from '../cli/cli-helpers.js';
import { tempDir } from '../helpers.js';

describe('asyncdebug tui (command line)', () => {
  it('--help, and tui in the main help', async () => {
    const r = await runCli(['tui', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: asyncdebug tui [options] -- <command...>');
    expect(r.stdout).toContain('--attach [PID]');
    const main = await runCli(['--help']);
    expect(main.stdout).toContain('asyncdebug tui [options] -- <command...>');
  });

  it('usage errors: exit 2 with one line', async () => {
    for (const args of [['tui'], ['tui', '--attach', '--', 'node', 'x.js'], ['tui', '--attach=abc'], ['tui', '--bogus', '--', 'node'], ['tui', '--list', '--attach']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^asyncdebug tui: /);
    }
  });

  it('without an interactive terminal it says so and exits 2, without running the command', async () => {
    const dir = tempDir('asyncdebug-tui-');
    const r = await runCli(['tui', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(`${dir}/ran`)}, '')`], { env: { ASYNC_DEBUG_TUI_DIR: `${dir}/s` } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('asyncdebug tui: a live view needs an interactive terminal');
    expect(r.stdout).toBe('');
    const dumb = await runCli(['tui', '--attach'], { env: { TERM: 'dumb', ASYNC_DEBUG_TUI_DIR: `${dir}/s` } });
    expect(dumb.code).toBe(2);
    expect(dumb.stderr).toContain('TERM=dumb');
  });

  it('--list with no agent running says where it looked', async () => {
    const dir = tempDir('asyncdebug-tui-');
    const r = await runCli(['tui', '--list'], { env: { ASYNC_DEBUG_TUI_DIR: `${dir}/s` } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`no running agents in ${dir}/s`);
  });

  it("the command's environment: the agent by absolute URL, the tui reporter added to the user's, the session's socket directory", () => {
    const env = tuiEnv({ NODE_OPTIONS: '--max-old-space-size=100', ASYNC_DEBUG_REPORTERS: 'json', PATH: '/bin' }, '/tmp/d');
    expect(env.NODE_OPTIONS).toBe(`--max-old-space-size=100 --import=${REGISTER_URL}`);
    expect(env.ASYNC_DEBUG_REPORTERS).toBe('json,tui');
    expect(env.ASYNC_DEBUG_TUI_DIR).toBe('/tmp/d');
    expect(tuiEnv({}, '/tmp/d').ASYNC_DEBUG_REPORTERS).toBe('tui');
    expect(commandTitle(['/usr/bin/node', '/srv/app/server.js', '--port', '80', 'a b'], '/srv/app')).toBe('node server.js --port 80 "a b"');
  });
});

describe('tui keys', () => {
  const list = ['a', 'b', 'c'].map((k) => ({ key: k, f: {} as never, seenAt: 0 }));
  const ctx = { list, pids: [30, 10] };

  it('keys typed faster than a frame come as one string and are applied one by one', () => {
    expect(splitKeys('jjq', {})).toEqual([{ input: 'j' }, { input: 'j' }, { input: 'q' }]);
    expect(splitKeys('\u001b[B', { downArrow: true })).toHaveLength(1);
    let ui = initialUi();
    const actions: unknown[] = [];
    for (const k of splitKeys('jjq', {})) {
      const r = handleKey(ui, k, ctx);
      ui = r.ui;
      actions.push(r.action);
    }
    expect(ui.selectedKey).toBe('c');
    expect(actions).toEqual([null, null, 'quit']);
  });

  it('move, open and back, filter, process, pause, clear, help', () => {
    let ui = initialUi();
    ui = handleKey(ui, { input: '', downArrow: true }, ctx).ui;
    expect(ui.selectedKey).toBe('b');
    ui = handleKey(ui, { input: 'k' }, ctx).ui;
    ui = handleKey(ui, { input: 'k' }, ctx).ui;
    expect(ui.selectedKey).toBeNull(); // up at the top: follow the newest
    ui = handleKey(ui, { input: '', return: true }, ctx).ui;
    expect(ui.view).toBe('detail');
    ui = handleKey(ui, { input: '', escape: true }, ctx).ui;
    expect(ui.view).toBe('main');
    ui = handleKey(ui, { input: 'f' }, ctx).ui;
    expect(ui.filter).toBe('block');
    ui = handleKey(ui, { input: 'F' }, ctx).ui;
    expect(ui.filter).toBe('all');
    ui = handleKey(ui, { input: 't' }, ctx).ui;
    expect(ui.pid).toBe(10);
    ui = handleKey(ui, { input: 't' }, ctx).ui;
    expect(ui.pid).toBe(30);
    ui = handleKey(ui, { input: 't' }, ctx).ui;
    expect(ui.pid).toBeNull();
    const paused = handleKey(ui, { input: 'p' }, ctx);
    expect([paused.ui.paused, paused.action]).toEqual([true, 'pause']);
    expect(handleKey(paused.ui, { input: ' ' }, ctx).action).toBe('resume');
    expect(handleKey(ui, { input: 'c' }, ctx).action).toBe('clear');
    ui = handleKey(ui, { input: '?' }, ctx).ui;
    expect(ui.view).toBe('help');
    ui = handleKey(ui, { input: 'z' }, ctx).ui;
    expect(ui.view).toBe('main');
    expect(handleKey(ui, { input: 'c', ctrl: true }, ctx).action).toBe('quit');
  });
});
