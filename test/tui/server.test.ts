// The agent side of the tui socket (src/reporters/tui-server.ts), made in this test process with
// createReporter() and fed with report()/health() as the hub does: private directory and socket,
// hello + replay + live messages, and clients that misbehave are cut off while the agent runs on.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.js';
import { createReporter, MAX_CLIENTS, REPLAY_LIMIT, type TuiServer } from '../../src/reporters/tui-server.js';
import { connectAgent, type ClientEvent } from '../../src/tui/client.js';
import { parseAgentMessage, type AgentMessage } from '../../src/tui/protocol.js';
import { listAgentSockets } from '../../src/tui/socket-dir.js';
import { tempDir } from '../helpers.js';
import { block, connectAsNobody, finding, health, until } from './tui-helpers.js';

const config = readConfig({}, () => {});
let dir: string;
let servers: TuiServer[] = [];
let sockets: Socket[] = [];
const warnings: string[] = [];

beforeEach(() => {
  dir = join(tempDir('asyncdebug-tui-'), 'sockets');
  process.env.ASYNC_DEBUG_TUI_DIR = dir;
  warnings.length = 0;
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close?.();
  delete process.env.ASYNC_DEBUG_TUI_DIR;
});

async function serve(): Promise<TuiServer> {
  const server = createReporter({ config, warn: (l) => warnings.push(l) });
  servers.push(server);
  await server.ready;
  return server;
}

/** A raw client: every message it got, and whether the server closed it. */
function rawClient(path: string) {
  const socket = createConnection(path);
  sockets.push(socket);
  const got: AgentMessage[] = [];
  let buf = '';
  const state = { closed: false, error: null as string | null };
  socket.on('data', (d) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const m = parseAgentMessage(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (m) got.push(m);
    }
  });
  socket.on('close', () => (state.closed = true));
  socket.on('error', (e: NodeJS.ErrnoException) => (state.error = e.code ?? e.message));
  return { socket, got, state };
}

describe('tui reporter: the socket server', () => {
  it('listens on <dir>/<pid>.sock, mode 0600, in a directory of mode 0700, never a TCP port', async () => {
    const server = await serve();
    expect(server.path).toBe(join(dir, `${process.pid}.sock`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const st = statSync(server.path!);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(listAgentSockets(dir)).toEqual([{ pid: process.pid, path: server.path }]);
  });

  it('says hello, replays the latest version of each finding and the last health, then sends live', async () => {
    const server = await serve();
    server.report(block({ id: 'b1', ongoing: true, durationMs: 120 }));
    server.report(block({ id: 'b1', ongoing: false, durationMs: 480 }));
    server.report(finding('sync-io', { id: 's1', api: 'fs.readFileSync', count: 1 }));
    server.health!([health({ pid: process.pid })]);
    const c = rawClient(server.path!);
    await until(() => c.got.length >= 4, 'hello, two findings, health');
    expect(c.got[0]).toMatchObject({ t: 'hello', v: 1, pid: process.pid, cwd: process.cwd(), node: process.version });
    expect((c.got[0] as { argv: string[] }).argv.length).toBeGreaterThan(0);
    const replayed = c.got.filter((m) => m.t === 'finding');
    expect(replayed.map((m) => (m.t === 'finding' ? [m.f.id, m.replay] : null))).toEqual([
      ['b1', true],
      ['s1', true],
    ]);
    expect((replayed[0] as { f: { durationMs: number } }).f.durationMs).toBe(480);
    expect(c.got[3]).toMatchObject({ t: 'health' });
    server.report(finding('unawaited', { id: 'u1' }));
    await until(() => c.got.some((m) => m.t === 'finding' && m.f.id === 'u1' && !m.replay), 'the live finding');
  });

  it('keeps at most REPLAY_LIMIT findings for late clients', async () => {
    const server = await serve();
    for (let i = 0; i < REPLAY_LIMIT + 50; i++) server.report(finding('sync-io', { id: `s${i}` }));
    const c = rawClient(server.path!);
    await until(() => c.got.filter((m) => m.t === 'finding').length === REPLAY_LIMIT, 'the replay');
    expect(c.got.find((m) => m.t === 'finding')).toMatchObject({ f: { id: 's50' } });
  });

  it('cuts off a client that sends garbage, and one that sends an oversized line; the others go on', async () => {
    const server = await serve();
    const good = rawClient(server.path!);
    const garbage = rawClient(server.path!);
    const huge = rawClient(server.path!);
    await until(() => good.got.length && garbage.got.length && huge.got.length, 'three hellos');
    good.socket.write('{"t":"hello","v":1}\n');
    garbage.socket.write('\u0000\u00ff not json at all {{{\n');
    huge.socket.write(Buffer.alloc(64 * 1024, 0x61));
    await until(() => garbage.state.closed && huge.state.closed, 'both cut off');
    server.report(finding('unawaited', { id: 'after' }));
    await until(() => good.got.some((m) => m.t === 'finding' && m.f.id === 'after'), 'the good client to go on');
    expect(good.state.closed).toBe(false);
    // and new clients are still served
    const late = rawClient(server.path!);
    await until(() => late.got.some((m) => m.t === 'finding' && m.f.id === 'after'), 'a new client served');
    // a well-formed message that is not a hello is cut off as well
    const other = rawClient(server.path!);
    other.socket.write('{"t":"finding","f":{}}\n');
    await until(() => other.state.closed, 'the non-hello client cut off');
  });

  it('refuses clients over MAX_CLIENTS', async () => {
    const server = await serve();
    const many = Array.from({ length: MAX_CLIENTS }, () => rawClient(server.path!));
    await until(() => many.every((c) => c.got.length > 0), 'every allowed client greeted');
    const extra = rawClient(server.path!);
    await until(() => extra.state.closed, 'the extra client refused');
    expect(extra.got).toHaveLength(0);
  });

  it.skipIf(typeof process.getuid !== 'function' || process.getuid() !== 0)('another user cannot connect (EACCES), and the agent runs on', async () => {
    const server = await serve();
    // as root, a child running as `nobody` stands for a second user
    expect(await connectAsNobody(server.path!)).toBe('EACCES');
    const c = rawClient(server.path!);
    await until(() => c.got.length > 0, 'the agent to serve its own user');
  });

  it('closes: clients get bye, the socket file is removed', async () => {
    const server = await serve();
    const events: ClientEvent[] = [];
    connectAgent({ pid: process.pid, path: server.path! }, (e) => events.push(e));
    await until(() => events.some((e) => e.type === 'message' && e.message.t === 'hello'), 'hello');
    server.close!();
    await until(() => events.some((e) => e.type === 'gone'), 'the client to see the end');
    expect(events.some((e) => e.type === 'message' && e.message.t === 'bye')).toBe(true);
    expect(existsSync(server.path!)).toBe(false);
    // report() after close does nothing (and does not throw)
    server.report(finding('unawaited'));
  });

  it('refuses a directory open to others or owned by someone else, with one warning, and serves nothing', async () => {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const server = createReporter({ config, warn: (l) => warnings.push(l) });
    expect(server.path).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/open to other users \(mode 755/);
    server.report(finding('unawaited'));
  });

  it('removes the socket a killed process left behind when listing', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const child = spawn(process.execPath, ['-e', `const p = require('path').join(${JSON.stringify(dir)}, process.pid + '.sock'); require('net').createServer().listen(p, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    const stale = join(dir, `${child.pid}.sock`);
    expect(listAgentSockets(dir).map((a) => a.pid)).toEqual([child.pid]);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(existsSync(stale)).toBe(true);
    expect(listAgentSockets(dir)).toEqual([]);
    expect(existsSync(stale)).toBe(false);
  });
});
