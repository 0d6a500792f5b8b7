// The CLI side of the socket: connects to agents, reads their messages, and (in watch mode) picks up
// the agents that appear in a directory. Dependency-free (no React): events go to a callback.
import { createConnection, type Socket } from 'node:net';
import { encode, lineSplitter, MAX_AGENT_LINE, parseAgentMessage, PROTOCOL_VERSION, type AgentHello, type AgentMessage } from './protocol.js';
import { listAgentSockets, type AgentSocket } from './socket-dir.js';

export type ClientEvent =
  | { type: 'message'; path: string; pid: number; message: AgentMessage }
  /** The connection ended (the process exited, or the agent closed). */
  | { type: 'gone'; path: string; pid: number; reason: string };

export interface Connection {
  readonly path: string;
  readonly pid: number;
  close(): void;
}

/** Connects to one agent; every message and the end of the connection go to `onEvent`. */
export function connectAgent(agent: AgentSocket, onEvent: (e: ClientEvent) => void): Connection {
  const { path, pid } = agent;
  const socket: Socket = createConnection(path);
  let ended = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    socket.destroy();
    onEvent({ type: 'gone', path, pid, reason });
  };
  socket.on('connect', () => socket.write(encode({ t: 'hello', v: PROTOCOL_VERSION })));
  socket.on(
    'data',
    lineSplitter(
      MAX_AGENT_LINE,
      (line) => {
        if (ended || !line.trim()) return;
        const message = parseAgentMessage(line);
        if (message) onEvent({ type: 'message', path, pid, message });
      },
      () => end('the agent sent a line that is too long'),
    ),
  );
  socket.on('error', (err: NodeJS.ErrnoException) => end(err.code === 'EACCES' ? 'permission denied' : err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'not running' : err.message));
  socket.on('close', () => end('exited'));
  return { path, pid, close: () => { ended = true; socket.destroy(); } };
}

/** Asks one agent for its hello and hangs up (for `--list`); null when it does not answer in time. */
export function probeAgent(agent: AgentSocket, timeoutMs = 2000): Promise<AgentHello | null> {
  return new Promise((resolve) => {
    let conn: Connection | null = null;
    const timer = setTimeout(() => finish(null), timeoutMs);
    const finish = (hello: AgentHello | null) => {
      clearTimeout(timer);
      conn?.close();
      resolve(hello);
    };
    conn = connectAgent(agent, (e) => {
      if (e.type === 'gone') finish(null);
      else if (e.message.t === 'hello') finish(e.message);
    });
  });
}

export interface Watcher {
  /** Looks for new sockets now (also done every `everyMs`). */
  scan(): void;
  close(): void;
}

/**
 * Connects to every agent found under `dir` (its own sockets and `run-*` subdirectories), now and as
 * they appear, optionally only the one with pid `only`.
 */
export function watchAgents(dir: string, onEvent: (e: ClientEvent) => void, options: { only?: number; everyMs?: number } = {}): Watcher {
  const connections = new Map<string, Connection>();
  const seen = new Set<string>();
  let closed = false;
  const scan = () => {
    if (closed) return;
    for (const agent of listAgentSockets(dir)) {
      if (options.only !== undefined && agent.pid !== options.only) continue;
      // A socket is connected once: after its agent is gone the same path is a new process only if
      // the pid was reused, which the file's reappearance after removal would show.
      if (seen.has(agent.path)) continue;
      seen.add(agent.path);
      connections.set(
        agent.path,
        connectAgent(agent, (e) => {
          if (e.type === 'gone') {
            connections.delete(e.path);
            // allow a reconnect if a new process takes the same pid and path later
            setTimeout(() => seen.delete(e.path), 2000).unref();
          }
          if (!closed) onEvent(e);
        }),
      );
    }
  };
  scan();
  const timer = setInterval(scan, options.everyMs ?? 300);
  timer.unref();
  return {
    scan,
    close() {
      closed = true;
      clearInterval(timer);
      for (const c of connections.values()) c.close();
      connections.clear();
    },
  };
}
