// The tui reporter (ASYNC_DEBUG_REPORTERS=tui): runs in the hub (the watchdog worker, off the app's
// loop) and serves the process's findings and loop health to `asyncdebug tui` over a Unix domain
// socket: `<dir>/<pid>.sock`, mode 0600, in a private per-user directory (socket-dir.ts), never TCP.
// The server and every connection are unref'd (they never keep the app alive); the socket file is
// removed when the reporter closes (and a stale one by whoever lists the directory next).
// A client may send nothing but one small hello line: garbage or an oversized line gets it cut off,
// and no client can make the agent throw, block, or grow without bound.
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { encode, isClientHello, lineSplitter, MAX_CLIENT_LINE, PROTOCOL_VERSION, type AgentHello, type AgentMessage } from '../tui/protocol.js';
import { ensurePrivateDir, listAgentSockets, socketDir, socketPath } from '../tui/socket-dir.js';
import type { Reporter, ReporterContext } from './reporter.js';
import { now, pid } from '../original.js';

/** Findings kept for clients that connect later (the latest version of each id). */
export const REPLAY_LIMIT = 1000;
/** At most this many clients at once; more are refused. */
export const MAX_CLIENTS = 16;
/** A client that does not read and has this much waiting is cut off (it must not grow the agent). */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** The longest socket path the platform takes (sun_path is 108 bytes on Linux, 104 on macOS). */
const MAX_PATH_BYTES = 103;

function commandLine(): string[] {
  try {
    const raw = readFileSync('/proc/self/cmdline', 'utf8');
    const argv = raw.split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    if (argv.length) return argv;
  } catch {
    // not Linux
  }
  return [process.execPath, process.title];
}

function poolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

/** The hello every client gets first: which process this is and how its agent runs. */
export function agentHello(config: Pick<Config, 'slowMs' | 'mode'>): AgentHello {
  return {
    t: 'hello',
    v: PROTOCOL_VERSION,
    pid,
    ppid: process.ppid,
    argv: commandLine(),
    cwd: process.cwd(),
    node: process.version,
    startedAt: Math.round(now() - process.uptime() * 1000),
    slowMs: config.slowMs,
    mode: config.mode,
    poolSize: poolSize(),
  };
}

export interface Replay {
  finding(f: Finding): void;
  health(message: AgentMessage): void;
  /** What a client that connects now is sent: the hello, the findings kept, the last health. */
  greeting(): string;
}

/** What a client that connects later is sent: the latest version of each finding (at most `limit`), the last health. */
export function createReplay(hello: AgentHello, limit = REPLAY_LIMIT): Replay {
  const recent = new Map<string, Finding>();
  let lastHealth: AgentMessage | null = null;
  return {
    finding(f) {
      // Deleted first, so that the latest version goes to the end: the oldest finding is dropped.
      recent.delete(f.id);
      recent.set(f.id, f);
      if (recent.size > limit) recent.delete(recent.keys().next().value as string);
    },
    health(message) {
      lastHealth = message;
    },
    greeting() {
      let text = encode(hello);
      for (const f of recent.values()) text += encode({ t: 'finding', f, replay: true });
      if (lastHealth) text += encode(lastHealth);
      return text;
    },
  };
}

export interface Clients {
  /** A new connection: refused when closed or full; else it gets `greeting` and may send one hello line. */
  admit(socket: Socket, greeting: () => string): void;
  broadcast(message: AgentMessage): void;
  /** Says bye to every client and ends it; connections after this are refused. */
  closeAll(): void;
  readonly size: number;
}

/** The connected clients. One that sends anything but a client hello, or reads too slowly, is cut off. */
export function createClients(max = MAX_CLIENTS, maxPendingBytes = MAX_PENDING_BYTES): Clients {
  const clients = new Set<Socket>();
  let closed = false;
  const drop = (socket: Socket) => {
    clients.delete(socket);
    socket.destroy();
  };
  const send = (socket: Socket, text: string) => {
    if (socket.destroyed) return;
    if (socket.writableLength > maxPendingBytes) {
      drop(socket);
      return;
    }
    socket.write(text);
  };
  const onLine = (socket: Socket) => (line: string) => {
    if (socket.destroyed) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (!isClientHello(value)) drop(socket);
  };
  return {
    admit(socket, greeting) {
      socket.unref();
      socket.on('error', () => drop(socket));
      socket.on('close', () => clients.delete(socket));
      if (closed || clients.size >= max) {
        socket.destroy();
        return;
      }
      clients.add(socket);
      socket.on('data', lineSplitter(MAX_CLIENT_LINE, onLine(socket), () => drop(socket)));
      send(socket, greeting());
    },
    broadcast(message) {
      if (clients.size === 0) return;
      const text = encode(message);
      for (const socket of clients) send(socket, text);
    },
    closeAll() {
      closed = true;
      const bye = encode({ t: 'bye' });
      for (const socket of clients) {
        try {
          socket.end(bye);
        } catch {
          // going anyway
        }
      }
      clients.clear();
    },
    get size() {
      return clients.size;
    },
  };
}

/**
 * Listens on `path` so that the socket appears under its name only once it has mode 0600: it is made
 * under a temporary name beside it, made private, then renamed (atomically replacing a stale socket of
 * an earlier process with this pid). Resolves once it listens, or failed to; `failed` gets why it could
 * not be made private (the server's own errors go to its 'error' listeners).
 */
export function listenPrivately(server: Server, path: string, failed: (err: Error) => void): Promise<void> {
  const staging = join(dirname(path), `.${pid}-${randomBytes(4).toString('hex')}.tmp`);
  return new Promise<void>((resolve) => {
    server.once('error', () => resolve());
    server.listen(staging, () => {
      try {
        chmodSync(staging, 0o600);
        renameSync(staging, path);
      } catch (err) {
        try {
          unlinkSync(staging);
        } catch {
          // not there
        }
        failed(err as Error);
      }
      resolve();
    });
  });
}

export interface TuiServer extends Reporter {
  /** Where the socket is, or null when it could not be served. */
  readonly path: string | null;
  /** Resolves once the socket listens (or failed to). */
  readonly ready: Promise<void>;
}

export function createReporter(context: Pick<ReporterContext, 'config' | 'warn'> & Partial<ReporterContext>): TuiServer {
  const warn = (line: string) => {
    try {
      context.warn(`tui reporter: ${line}`);
    } catch {
      // nowhere to say it
    }
  };
  const dir = socketDir();
  const problem = ensurePrivateDir(dir);
  const path = socketPath(dir);
  if (problem || Buffer.byteLength(path) > MAX_PATH_BYTES) {
    warn(problem ? `${problem}; not serving asyncdebug tui` : `socket path too long (${path}); set ASYNC_DEBUG_TUI_DIR to a shorter directory`);
    return { path: null, ready: Promise.resolve(), report() {} };
  }
  return serve(dir, path, context.config, warn);
}

/** The server at `path` in the private directory `dir`, as a reporter: findings and health to every client. */
function serve(dir: string, path: string, config: Config, warn: (line: string) => void): TuiServer {
  const replay = createReplay(agentHello(config));
  const clients = createClients();
  let closed = false;
  const server: Server = createServer((socket) => clients.admit(socket, replay.greeting));
  server.on('error', (err) => {
    warn(`the socket failed (${err.message}); not serving asyncdebug tui`);
    close();
  });

  const removeFile = () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  const close = () => {
    if (closed) return;
    closed = true;
    process.removeListener('exit', removeFile);
    clients.closeAll();
    try {
      server.close();
    } catch {
      // not listening
    }
    removeFile();
  };

  const ready = listenPrivately(server, path, (err) => {
    warn(`cannot make ${path} private (${err.message}); not serving asyncdebug tui`);
    close();
  });
  server.unref();
  process.once('exit', removeFile);
  // Sockets left by processes of this user that were killed: removed here too, off the start-up path.
  setTimeout(() => {
    try {
      listAgentSockets(dir);
    } catch {
      // only tidying
    }
  }, 1000).unref();

  return {
    path,
    ready,
    report(f) {
      if (closed) return;
      replay.finding(f);
      clients.broadcast({ t: 'finding', f });
    },
    health(threads: readonly ThreadHealth[]) {
      if (closed) return;
      let rss: number | undefined;
      try {
        rss = process.memoryUsage.rss();
      } catch {
        rss = undefined;
      }
      const message: AgentMessage = { t: 'health', time: now(), threads: [...threads], ...(rss === undefined ? {} : { rss }) };
      replay.health(message);
      clients.broadcast(message);
    },
    close,
  };
}
