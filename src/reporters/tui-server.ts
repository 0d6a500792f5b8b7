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
import { join } from 'node:path';
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../hub/health.js';
import { encode, isClientHello, lineSplitter, MAX_CLIENT_LINE, PROTOCOL_VERSION, type AgentHello, type AgentMessage } from '../tui/protocol.js';
import { ensurePrivateDir, listAgentSockets, socketDir, socketPath } from '../tui/socket-dir.js';
import type { Reporter, ReporterContext } from './reporter.js';

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

  const recent = new Map<string, Finding>();
  let lastHealth: AgentMessage | null = null;
  const clients = new Set<Socket>();
  let closed = false;
  const hello: AgentHello = {
    t: 'hello',
    v: PROTOCOL_VERSION,
    pid: process.pid,
    ppid: process.ppid,
    argv: commandLine(),
    cwd: process.cwd(),
    node: process.version,
    startedAt: Math.round(Date.now() - process.uptime() * 1000),
    slowMs: context.config.slowMs,
    mode: context.config.mode,
    poolSize: poolSize(),
  };

  const drop = (socket: Socket) => {
    clients.delete(socket);
    socket.destroy();
  };
  const send = (socket: Socket, text: string) => {
    if (socket.destroyed) return;
    if (socket.writableLength > MAX_PENDING_BYTES) {
      drop(socket);
      return;
    }
    socket.write(text);
  };
  const broadcast = (message: AgentMessage) => {
    if (clients.size === 0) return;
    const text = encode(message);
    for (const socket of clients) send(socket, text);
  };

  const server: Server = createServer((socket) => {
    socket.unref();
    socket.on('error', () => drop(socket));
    socket.on('close', () => clients.delete(socket));
    if (closed || clients.size >= MAX_CLIENTS) {
      socket.destroy();
      return;
    }
    clients.add(socket);
    socket.on(
      'data',
      lineSplitter(
        MAX_CLIENT_LINE,
        (line) => {
          if (socket.destroyed) return;
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            value = undefined;
          }
          if (!isClientHello(value)) drop(socket);
        },
        () => drop(socket),
      ),
    );
    let text = encode(hello);
    for (const f of recent.values()) text += encode({ t: 'finding', f, replay: true });
    if (lastHealth) text += encode(lastHealth);
    send(socket, text);
  });
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
    const bye = encode({ t: 'bye' });
    for (const socket of clients) {
      try {
        socket.end(bye);
      } catch {
        // going anyway
      }
    }
    clients.clear();
    try {
      server.close();
    } catch {
      // not listening
    }
    removeFile();
  };

  // The socket appears under its name only once it listens with mode 0600: it is made under a
  // temporary name, made private, then renamed (atomically replacing a stale socket of an earlier
  // process with this pid).
  const staging = join(dir, `.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const ready = new Promise<void>((resolve) => {
    server.once('error', () => resolve());
    server.listen(staging, () => {
      try {
        chmodSync(staging, 0o600);
        renameSync(staging, path);
      } catch (err) {
        warn(`cannot make ${path} private (${(err as Error).message}); not serving asyncdebug tui`);
        try {
          unlinkSync(staging);
        } catch {
          // not there
        }
        close();
      }
      resolve();
    });
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
      recent.delete(f.id);
      recent.set(f.id, f);
      if (recent.size > REPLAY_LIMIT) recent.delete(recent.keys().next().value as string);
      broadcast({ t: 'finding', f });
    },
    health(threads: readonly ThreadHealth[]) {
      if (closed) return;
      let rss: number | undefined;
      try {
        rss = process.memoryUsage.rss();
      } catch {
        rss = undefined;
      }
      lastHealth = { t: 'health', time: Date.now(), threads: [...threads], ...(rss === undefined ? {} : { rss }) };
      broadcast(lastHealth);
    },
    close,
  };
}
