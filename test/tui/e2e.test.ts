// End to end in a real terminal: `asyncdebug tui` inside tmux (a real pty, real keys), against the
// fixture app that blocks; the pane is read with `tmux capture-pane -p`. Every tmux server here runs
// on its own socket (-S, in a temporary directory) and is killed after the test.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/tui/socket-dir.js';
import { BIN } from '../cli/cli-helpers.js';
import { fixture, markerLine, ROOT, tempDir } from '../helpers.js';
import { until } from './tui-helpers.js';

const TMUX = ['/usr/bin/tmux', 'tmux'].find((t) => spawnSync(t, ['-V']).status === 0);
const APP = fixture('tui-block.mjs');
const LINE = markerLine(APP);
const REGISTER = join(ROOT, 'dist', 'register.cjs');

const servers: string[] = [];
const apps: number[] = [];
afterEach(() => {
  for (const socket of servers.splice(0)) spawnSync(TMUX!, ['-S', socket, 'kill-server']);
  for (const pid of apps.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A tmux server of its own with one 80x24 window running `command` (argv) in `env`. */
function terminal(command: string[], env: Record<string, string | null>, size = { columns: 80, rows: 24 }) {
  // the server's socket in a temporary directory of the test (removed with it), not in /tmp/tmux-<uid>
  const socket = join(tempDir('asyncdebug-tui-'), 'tmux.sock');
  servers.push(socket);
  const tmux = (...args: string[]) => execFileSync(TMUX!, ['-S', socket, ...args], { encoding: 'utf8' });
  // null: unset (`env -u`), as on a terminal where the variable is not set at all
  const entries = Object.entries(env);
  const envArgs = [...entries.filter(([, v]) => v === null).map(([k]) => `-u ${k}`), ...entries.filter(([, v]) => v !== null).map(([k, v]) => `${k}=${shellQuote(v!)}`)];
  // The shell waits for the command and writes its exit status to a file: tmux's own record of it
  // (#{pane_dead_status}) depends on tmux catching SIGCHLD, which it was seen to miss here.
  const statusFile = join(tempDir('asyncdebug-tui-'), 'status');
  const line = `cd ${shellQuote(ROOT)} && env ${envArgs.join(' ')} ${command.map(shellQuote).join(' ')}; echo $? > ${shellQuote(statusFile)}`;
  // remain-on-exit before the command starts: a command that ends at once still leaves its pane to read
  tmux('-f', '/dev/null', 'start-server', ';', 'set-option', '-g', 'remain-on-exit', 'on', ';', 'new-session', '-d', '-x', String(size.columns), '-y', String(size.rows), '-s', 'main', line);
  return {
    capture: (escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'main'),
    /** The pane and its history, wrapped lines joined. */
    text: () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'main'),
    keys: (...keys: string[]) => tmux('send-keys', '-t', 'main', ...keys),
    /** The command has ended and its exit status is known. */
    dead: () => existsSync(statusFile) && /^\d+\n$/.test(readFileSync(statusFile, 'utf8')),
    info: () => tmux('display-message', '-p', '-t', 'main', 'dead=#{pane_dead} pid=#{pane_pid}'),
    status: () => Number(readFileSync(statusFile, 'utf8')),
  };
}

/** The environment of a terminal: a clean one, plus the socket directory. */
function baseEnv(dir: string, extra: Record<string, string> = {}): Record<string, string | null> {
  const unset = Object.fromEntries(['FORCE_COLOR', 'NO_COLOR', 'CI', 'NODE_OPTIONS', 'ASYNC_DEBUG', 'ASYNC_DEBUG_REPORTERS'].map((k) => [k, null]));
  return { ...unset, TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ASYNC_DEBUG_TUI_DIR: dir, ...extra };
}

describe.skipIf(!TMUX || process.platform !== 'linux')('asyncdebug tui in a real terminal (tmux)', () => {
  it('tui -- <command>: the block, its site and its thread appear while the app is still blocked; q stops the command and gives the terminal back', async () => {
    const dir = join(tempDir('asyncdebug-tui-'), 's');
    const log = join(tempDir('asyncdebug-tui-'), 'command.log');
    const t = terminal([process.execPath, BIN, 'tui', '--log', log, '--', process.execPath, APP], baseEnv(dir, { TUI_BLOCK_MS: '30000', TUI_BLOCK_AFTER_MS: '1000' }));
    const screen = await until(() => {
      const s = t.capture();
      // the worker's row comes with the first health message (about once a second)
      return /BLOCKED NOW pid \d+ main for [\d.]+ m?s at test\/fixtures\/tui-block\.mjs:\d+ spinHard/.test(s) && s.includes('(still blocked)') && /worker \d+ "he/.test(s) ? s : null;
    }, 'BLOCKED NOW with the site on the screen', 30_000);
    // the app is running and still blocked: alive, and it has not written the line that follows the block
    const pid = Number(/BLOCKED NOW pid (\d+)/.exec(screen)![1]);
    apps.push(pid);
    expect(isAlive(pid)).toBe(true);
    expect(readFileSync(log, 'utf8')).toContain('blocking now');
    expect(readFileSync(log, 'utf8')).not.toContain('unblocked');
    expect(screen).toContain(`tui-block.mjs:${LINE} spinHard`);
    expect(screen).toMatch(new RegExp(`${pid} main .*BLOCKED`));
    expect(screen).toMatch(new RegExp(`${pid} worker \\d+ "he`));
    // the code frame of the selected (blocking) finding
    expect(screen).toMatch(new RegExp(`> ${LINE} \\|.*// @block`));
    // it fits: 24 rows, 80 columns
    const rows = screen.replace(/\n$/, '').split('\n');
    expect(rows.length).toBeLessThanOrEqual(24);
    for (const r of rows) expect([...r].length).toBeLessThanOrEqual(80);

    // keys: help, then back, then quit
    t.keys('?');
    await until(() => t.capture().includes('Keys'), 'the help');
    t.keys('Escape');
    await until(() => t.capture().includes('Top blocking sites'), 'back from help');
    t.keys('q');
    await until(() => t.dead(), 'the tui to end', 20_000, () => `${t.text()}\n${t.info()}`);
    expect(t.status()).toBe(0);
    await until(() => !isAlive(pid), 'the command to be stopped');
    const after = t.capture();
    // the terminal is as it was: the UI is gone (alternate screen left), one line says what happened
    expect(after).not.toContain('Top blocking sites');
    expect(t.text()).toContain(`asyncdebug tui: stopped the command; its output is in ${log}`);
    // the session's socket directory is removed
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('tui --attach <pid>: attaches to an app started separately, shows its block live, and q leaves the app running', async () => {
    const dir = join(tempDir('asyncdebug-tui-'), 's');
    const clean: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(clean)) if (k.startsWith('ASYNC_DEBUG') || k === 'NODE_OPTIONS') delete clean[k];
    const app = spawn(process.execPath, ['--import', REGISTER, APP], {
      env: { ...clean, ASYNC_DEBUG_REPORTERS: 'tui', ASYNC_DEBUG_TUI_DIR: dir, TUI_BLOCK_MS: '30000', TUI_BLOCK_AFTER_MS: '4000' },
      stdio: 'ignore',
    });
    apps.push(app.pid!);
    await until(() => existsSync(join(dir, `${app.pid}.sock`)), 'the app to serve its socket');
    // --list sees it
    const list = spawnSync(process.execPath, [BIN, 'tui', '--list'], { env: { ...clean, ASYNC_DEBUG_TUI_DIR: dir }, encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${app.pid}\\s+v\\d+\\.\\d+\\.\\d+\\s+\\S+\\s+\\S*node .*tui-block\\.mjs`));

    const t = terminal([process.execPath, BIN, 'tui', '--attach', String(app.pid)], baseEnv(dir));
    await until(() => t.capture().includes(`attached to pid ${app.pid}`), 'the attached view');
    await until(() => new RegExp(`BLOCKED NOW pid ${app.pid} main for .* at test/fixtures/tui-block\\.mjs:${LINE} spinHard`).test(t.capture()), 'the block, live', 30_000);
    t.keys('q');
    await until(() => t.dead(), 'the tui to end', 20_000, () => t.text());
    expect(t.status()).toBe(0);
    // detached: the app runs on (still in its block), its socket still there
    expect(isAlive(app.pid!)).toBe(true);
    expect(existsSync(join(dir, `${app.pid}.sock`))).toBe(true);
  });

  it('a command that ended by itself stays on the screen; q then stops what it left running in its process group', async () => {
    const dir = join(tempDir('asyncdebug-tui-'), 's');
    const pidFile = join(tempDir('asyncdebug-tui-'), 'pid');
    const t = terminal([process.execPath, BIN, 'tui', '--', process.execPath, fixture('tui-orphan.mjs')], baseEnv(dir, { TUI_PID_FILE: pidFile }));
    await until(() => t.capture().includes('exited with code 0'), 'the command to end');
    const orphan = Number(readFileSync(pidFile, 'utf8'));
    apps.push(orphan);
    expect(isAlive(orphan)).toBe(true);
    expect(t.dead()).toBe(false);
    t.keys('q');
    await until(() => t.dead(), 'the tui to end', 20_000, () => `${t.text()}\n${t.info()}`);
    expect(t.status()).toBe(0);
    await until(() => !isAlive(orphan), 'the process left behind to be stopped');
    expect(t.text()).toContain('asyncdebug tui: the command exited with code 0');
  });

  it('NO_COLOR draws no color; without it, colors', async () => {
    const dir = join(tempDir('asyncdebug-tui-'), 's');
    const env = { TUI_BLOCK_MS: '30000', TUI_BLOCK_AFTER_MS: '1500' };
    const plain = terminal([process.execPath, BIN, 'tui', '--', process.execPath, APP], baseEnv(dir, { ...env, NO_COLOR: '1' }));
    const colored = terminal([process.execPath, BIN, 'tui', '--', process.execPath, APP], baseEnv(dir, env));
    const sgrColor = /\u001b\[[0-9;]*(3[0-7]|9[0-7]|38;[25])[;m]/;
    const p = await until(() => (/BLOCKED NOW.*spinHard/.test(plain.capture()) ? plain.capture(true) : null), 'the plain view', 30_000, () => plain.text());
    const c = await until(() => (/BLOCKED NOW.*spinHard/.test(colored.capture()) ? colored.capture(true) : null), 'the colored view', 30_000);
    expect(p).not.toMatch(sgrColor);
    expect(c).toMatch(sgrColor);
    plain.keys('q');
    colored.keys('q');
    await until(() => plain.dead() && colored.dead(), 'both to end');
  });

  it('on a dumb terminal it says so and exits cleanly, without starting the command', async () => {
    const dir = join(tempDir('asyncdebug-tui-'), 's');
    const marker = join(tempDir('asyncdebug-tui-'), 'started');
    const t = terminal([process.execPath, BIN, 'tui', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], baseEnv(dir, { TERM: 'dumb' }));
    await until(() => t.dead(), 'it to end');
    expect(t.status()).toBe(2);
    expect(t.text()).toContain('asyncdebug tui: this terminal (TERM=dumb) cannot show a live view');
    expect(t.capture(true)).not.toContain('\u001b');
    expect(existsSync(marker)).toBe(false);
  });
});
