// The tui reporter in a real app (ASYNC_DEBUG_REPORTERS=tui through the hub): it serves the live
// block while the app is still blocked, never opens a TCP port, never keeps the app alive or changes
// its output or exit code, and garbage on its socket does not crash it.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAgent, type ClientEvent } from '../../src/tui/client.js';
import { isAlive } from '../../src/tui/socket-dir.js';
import { fixture, markerLine, ROOT, tempDir } from '../helpers.js';
import { connectAsNobody, until } from './tui-helpers.js';

const APP = fixture('tui-block.mjs');
const REGISTER = join(ROOT, 'dist', 'register.cjs');

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended as it should
    }
  }
});

function startApp(env: Record<string, string>, withAgent = true) {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith('ASYNC_DEBUG') || k === 'NODE_OPTIONS') delete clean[k];
  const child = spawn(process.execPath, [...(withAgent ? ['--import', REGISTER] : []), APP], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  started.push(child.pid!);
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

/** The inodes of the sockets a process has open. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** The inodes of every TCP socket on the machine (the 10th column of /proc/net/tcp{,6}). */
function tcpInodes(): Set<string> {
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[9]) out.add(cols[9]);
    }
  }
  return out;
}

describe.skipIf(process.platform !== 'linux')('tui reporter in a real app', () => {
  it('serves the block while the app is still blocked, with its site and thread; no TCP; the app ends as it would without it', async () => {
    const dir = join(tempDir('asyncdebug-tui-'), 's');
    const app = startApp({ ASYNC_DEBUG_REPORTERS: 'tui', ASYNC_DEBUG_TUI_DIR: dir, TUI_BLOCK_MS: '2500', TUI_EXIT_AFTER_MS: '4500' });
    const pid = app.child.pid!;
    const path = join(dir, `${pid}.sock`);
    await until(() => existsSync(path), 'the socket');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const events: ClientEvent[] = [];
    const conn = connectAgent({ pid, path }, (e) => events.push(e));
    const live = await until(
      () => events.find((e) => e.type === 'message' && e.message.t === 'finding' && e.message.f.kind === 'block' && (e.message.f as { ongoing?: boolean }).ongoing),
      'an ongoing block',
    );
    // still blocked: the app has not printed its line after the block
    expect(app.out()).toContain('blocking now');
    expect(app.out()).not.toContain('unblocked');
    const f = live.type === 'message' && live.message.t === 'finding' ? live.message.f : null;
    expect(f?.threadId).toBe(0);
    expect(f?.site).toMatchObject({ file: APP, line: markerLine(APP), function: 'spinHard' });
    // a thread of the app's own, named, shows in health
    await until(() => events.some((e) => e.type === 'message' && e.message.t === 'health' && e.message.threads.some((t) => t.threadName === 'helper')), 'health of the named worker');
    await until(() => events.some((e) => e.type === 'message' && e.message.t === 'health' && e.message.threads.some((t) => t.threadId === 0 && t.blockedMs > 0)), 'health saying the main thread is blocked');
    // never a TCP socket
    const tcp = tcpInodes();
    for (const inode of socketInodes(pid)) expect(tcp.has(inode)).toBe(false);
    // the app ends by itself (nothing kept alive), with its own output and exit code
    expect(await app.exit).toBe(0);
    conn.close();
    // the socket file is removed at exit
    expect(existsSync(path)).toBe(false);
    expect(app.out()).toBe(`tui-block app ${pid} started\nblocking now\nunblocked\n`);
    expect(app.err()).toBe('');
    expect(events.some((e) => e.type === 'gone')).toBe(true);
  });

  it("garbage, an oversized message, another user's connection: the agent is not crashed, runs on and serves the next client", async () => {
    const dir = join(tempDir('asyncdebug-tui-'), 's');
    const app = startApp({ ASYNC_DEBUG_REPORTERS: 'tui', ASYNC_DEBUG_TUI_DIR: dir, TUI_BLOCK_MS: '400', TUI_BLOCK_AFTER_MS: '2500', TUI_EXIT_AFTER_MS: '4000' });
    const pid = app.child.pid!;
    const path = join(dir, `${pid}.sock`);
    await until(() => existsSync(path), 'the socket');
    for (const payload of ['garbage\n', '{"t":"hello","v":1,"extra":"x"}\n', Buffer.alloc(256 * 1024, 0x7b)]) {
      const s = createConnection(path);
      let closed = false;
      s.on('close', () => (closed = true));
      const log: string[] = [];
      const t0 = Date.now();
      s.on('error', (e) => log.push(`error ${Date.now() - t0} ${e.message}`));
      s.on('connect', () => log.push(`connect ${Date.now() - t0}`));
      s.on('data', (d) => log.push(`data ${Date.now() - t0} ${String(d).length}`));
      s.on('end', () => log.push(`end ${Date.now() - t0}`));
      void app.exit.then((c) => log.push(`app exit ${c} ${Date.now() - t0} ${app.err()}`));
      s.write(payload);
      await until(() => closed, `the bad client cut off (${String(payload).slice(0, 20)})`, 20_000, () => `${JSON.stringify(log)} app alive: ${isAlive(pid)}; its stdout: ${JSON.stringify(app.out())}`);
    }
    if (process.getuid?.() === 0) {
      // a second user (as root, `nobody` stands for one) cannot even connect
      expect(await connectAsNobody(path)).toBe('EACCES');
    }
    const events: ClientEvent[] = [];
    const conn = connectAgent({ pid, path }, (e) => events.push(e));
    await until(() => events.some((e) => e.type === 'message' && e.message.t === 'finding' && e.message.f.kind === 'block' && !(e.message.f as { ongoing?: boolean }).ongoing), 'the final block line');
    expect(await app.exit).toBe(0);
    conn.close();
    expect(app.err()).toBe('');
    expect(app.out()).toContain('unblocked');
  });
});
