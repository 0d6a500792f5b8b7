// Findings, health and agent events as the hub sends them, for the tui tests; and waiting for a
// condition with a deadline (never a timing threshold).
import type { BlockFinding, Finding, Frame } from '../../src/finding.js';
import type { ThreadHealth } from '../../src/thread-health.js';
import type { ClientEvent } from '../../src/tui/client.js';
import type { AgentHello, AgentMessage } from '../../src/tui/protocol.js';

export const PID = 4242;
export const CWD = '/srv/app';

export function frame(line: number, fn = 'spin', file = `${CWD}/server.js`): Frame {
  return { file, line, column: 3, function: fn };
}

export function hello(pid = PID, over: Partial<AgentHello> = {}): AgentHello {
  return { t: 'hello', v: 1, pid, ppid: 1, argv: ['node', 'server.js'], cwd: CWD, node: 'v20.20.2', startedAt: Date.now() - 5000, slowMs: 100, mode: 'default', poolSize: 4, ...over };
}

let ids = 0;
export function block(over: Partial<BlockFinding> = {}): BlockFinding {
  const site = over.site === undefined ? frame(8) : over.site;
  return {
    v: 1,
    id: over.id ?? `b${++ids}`,
    kind: 'block',
    time: Date.now() - (over.durationMs ?? 250),
    pid: PID,
    threadId: 0,
    message: 'event loop blocked',
    site,
    frames: site ? [site, frame(13, '<anonymous>')] : [],
    durationMs: 250,
    ongoing: false,
    ...over,
  };
}

export function finding(kind: Finding['kind'], over: Record<string, unknown> = {}): Finding {
  return { v: 1, id: `f${++ids}`, kind, time: Date.now(), pid: PID, threadId: 0, message: `${kind} here`, site: frame(20, 'load'), frames: [frame(20, 'load')], ...over } as Finding;
}

export function health(over: Partial<ThreadHealth> = {}, pid = PID): ThreadHealth {
  return {
    pid,
    threadId: 0,
    time: Date.now(),
    delay: { min: 0.5, max: 2, mean: 1, p50: 1, p90: 1.5, p99: 2 },
    elu: 0.1,
    activeMs: 100,
    idleMs: 900,
    blockedMs: 0,
    blocks: 0,
    starvedMs: 0,
    starvedGaps: 0,
    exited: false,
    ...over,
  };
}

export function msg(message: AgentMessage, pid = PID): ClientEvent {
  return { type: 'message', path: `/tmp/x/${pid}.sock`, pid, message };
}

export function healthMsg(threads: ThreadHealth[], pid = PID): ClientEvent {
  return msg({ t: 'health', time: Date.now(), threads }, pid);
}

/** Waits until `check` returns a truthy value (returned), or fails after `deadlineMs` with `what`. */
export async function until<T>(check: () => T | Promise<T>, what: string, deadlineMs = 20_000, describe?: () => string): Promise<NonNullable<T>> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ''}${describe ? `\n${describe()}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Tries to connect to a Unix socket as user `nobody` (the test runs as root): what the connection said,
 * `CONNECTED` or the error code. A Python client: the Node binary under test may sit in a directory
 * `nobody` cannot enter (CI installs Node 22/24 in a private temporary directory).
 */
export async function connectAsNobody(path: string): Promise<string> {
  const { spawn } = await import('node:child_process');
  const code = [
    'import socket, sys, errno',
    's = socket.socket(socket.AF_UNIX)',
    'try:',
    '    s.connect(sys.argv[1]); print("CONNECTED")',
    'except OSError as e:',
    '    print(errno.errorcode.get(e.errno, str(e.errno)))',
  ].join('\n');
  const child = spawn('python3', ['-c', code, path], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  return out.trim() || `no answer: ${err.trim()}`;
}
