// The tui reporter's units, each on its own: the hello, the replay for late clients, the client set
// (real sockets over a Unix socket of this test), and the private listen. The reporter made of them is
// tested whole in test/tui/server.test.ts.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/config.js';
import { agentHello, createClients, createReplay, listenPrivately, type Clients } from '../../../src/reporters/tui-server.js';
import { encode, parseAgentMessage, PROTOCOL_VERSION, type AgentMessage } from '../../../src/tui/protocol.js';
import { tempDir } from '../../helpers.js';
import { block, finding, health, until } from '../../tui/tui-helpers.js';

const messages = (text: string): AgentMessage[] => text.split('\n').filter(Boolean).map((l) => parseAgentMessage(l)!);

describe('agentHello', () => {
  const saved = process.env.UV_THREADPOOL_SIZE;
  afterEach(() => {
    if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
    else process.env.UV_THREADPOOL_SIZE = saved;
  });

  it('names this process and how its agent runs', () => {
    const hello = agentHello(readConfig({ ASYNC_DEBUG: '1', ASYNC_DEBUG_SLOW_MS: '250' }, () => {}));
    expect(hello).toMatchObject({ t: 'hello', v: PROTOCOL_VERSION, pid: process.pid, ppid: process.ppid, cwd: process.cwd(), node: process.version, slowMs: 250, mode: 'debug' });
    expect(hello.argv.length).toBeGreaterThan(0);
    expect(hello.startedAt).toBeLessThanOrEqual(Date.now());
    expect(parseAgentMessage(encode(hello).trim())).toEqual(hello);
  });

  it.each([['8', 8], ['0', 4], ['x', 4], ['5000', 1024], [undefined, 4]])('UV_THREADPOOL_SIZE=%j: a pool of %i', (value, size) => {
    if (value === undefined) delete process.env.UV_THREADPOOL_SIZE;
    else process.env.UV_THREADPOOL_SIZE = value;
    expect(agentHello({ slowMs: 100, mode: 'default' }).poolSize).toBe(size);
  });
});

describe('createReplay', () => {
  const hello = agentHello({ slowMs: 100, mode: 'default' });

  it('greets with the hello alone at first', () => {
    expect(messages(createReplay(hello).greeting())).toEqual([hello]);
  });

  it('keeps the latest version of each finding, in the order of their last lines, then the last health', () => {
    const replay = createReplay(hello);
    replay.finding(block({ id: 'b', ongoing: true, durationMs: 110 }));
    replay.finding(finding('sync-io', { id: 's' }));
    replay.finding(block({ id: 'b', ongoing: false, durationMs: 400 }));
    replay.health({ t: 'health', time: 1, threads: [health({ blockedMs: 5 })] });
    replay.health({ t: 'health', time: 2, threads: [health()] });
    const got = messages(replay.greeting());
    expect(got.map((m) => (m.t === 'finding' ? `${m.f.id}${m.replay ? ' replay' : ''}` : m.t))).toEqual(['hello', 's replay', 'b replay', 'health']);
    expect(got[2]).toMatchObject({ f: { durationMs: 400, ongoing: false } });
    expect(got[3]).toMatchObject({ time: 2 });
  });

  it('drops the oldest finding past its limit', () => {
    const replay = createReplay(hello, 2);
    for (const id of ['a', 'b', 'c']) replay.finding(finding('unawaited', { id }));
    expect(messages(replay.greeting()).flatMap((m) => (m.t === 'finding' ? [m.f.id] : []))).toEqual(['b', 'c']);
  });
});

describe('createClients (real sockets)', () => {
  let server: Server | null = null;
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
    server?.close();
    server = null;
  });

  async function serving(clients: Clients, greeting = 'hi\n'): Promise<string> {
    const path = join(tempDir('asyncdebug-clients-'), 's.sock');
    server = createServer((socket) => clients.admit(socket, () => greeting));
    await new Promise<void>((resolve) => server!.listen(path, resolve));
    return path;
  }

  function connect(path: string) {
    const socket = createConnection(path);
    sockets.push(socket);
    const state = { text: '', closed: false };
    socket.on('data', (d) => (state.text += d.toString()));
    socket.on('close', () => (state.closed = true));
    socket.on('error', () => {});
    return { socket, state };
  }

  it('greets each client, sends every broadcast to all, and says bye on closeAll; later clients are refused', async () => {
    const clients = createClients();
    const path = await serving(clients);
    const a = connect(path);
    const b = connect(path);
    await until(() => clients.size === 2 && a.state.text && b.state.text, 'two greeted clients');
    clients.broadcast({ t: 'finding', f: block({ id: 'x' }) });
    await until(() => a.state.text.split('\n').length > 2 && b.state.text.split('\n').length > 2, 'the broadcast');
    for (const c of [a, b]) expect(c.state.text.startsWith('hi\n')).toBe(true);
    clients.closeAll();
    expect(clients.size).toBe(0);
    await until(() => a.state.closed && b.state.closed, 'both ended');
    for (const c of [a, b]) expect(c.state.text.endsWith(encode({ t: 'bye' }))).toBe(true);
    const late = connect(path);
    await until(() => late.state.closed, 'a late client refused');
    expect(late.state.text).toBe('');
  });

  it('refuses clients past its maximum', async () => {
    const clients = createClients(1);
    const path = await serving(clients);
    const first = connect(path);
    await until(() => first.state.text, 'the first greeted');
    const second = connect(path);
    await until(() => second.state.closed, 'the second refused');
    expect(second.state.text).toBe('');
    expect(clients.size).toBe(1);
  });

  it('keeps a client that says a proper hello, cuts off one that sends anything else', async () => {
    const clients = createClients();
    const path = await serving(clients);
    const good = connect(path);
    const bad = connect(path);
    await until(() => clients.size === 2, 'two clients');
    good.socket.write(`${JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION })}\n`);
    bad.socket.write('{"t":"hello","v":1,"more":true}\n');
    await until(() => bad.state.closed, 'the bad one cut off');
    expect(clients.size).toBe(1);
    expect(good.state.closed).toBe(false);
  });

  it('cuts off a client that does not read once too much waits for it', async () => {
    const clients = createClients(16, 1024);
    const path = await serving(clients);
    const slow = connect(path);
    await until(() => clients.size === 1 && slow.state.text, 'connected');
    slow.socket.pause();
    const big = finding('large-message', { id: 'big', message: 'x'.repeat(256 * 1024) });
    await until(() => {
      clients.broadcast({ t: 'finding', f: big });
      return clients.size === 0;
    }, 'the slow reader dropped');
  });
});

describe('listenPrivately', () => {
  it('listens at the path with mode 0600 and leaves no temporary name behind', async () => {
    const dir = tempDir('asyncdebug-listen-');
    const path = join(dir, `${process.pid}.sock`);
    const server = createServer();
    const failures: Error[] = [];
    await listenPrivately(server, path, (err) => failures.push(err));
    try {
      expect(failures).toEqual([]);
      expect(statSync(path).isSocket()).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual([`${process.pid}.sock`]);
    } finally {
      server.close();
    }
  });

  it('says why when the socket cannot take its name, and removes the temporary one', async () => {
    const dir = tempDir('asyncdebug-listen-');
    const path = join(dir, 'taken');
    mkdirSync(path);
    writeFileSync(join(path, 'file'), '');
    const server = createServer();
    const failures: Error[] = [];
    await listenPrivately(server, path, (err) => failures.push(err));
    server.close();
    expect(failures).toHaveLength(1);
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('resolves when the server cannot listen at all', async () => {
    const server = createServer();
    server.on('error', () => {});
    const failures: Error[] = [];
    await listenPrivately(server, join(tempDir('asyncdebug-listen-'), 'missing', 's.sock'), (err) => failures.push(err));
    expect(failures).toEqual([]);
    expect(server.listening).toBe(false);
  });
});
