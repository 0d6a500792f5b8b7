// What passes over a tui socket: newline-delimited JSON, one message a line. The agent (server) says
// hello, replays what it holds, then sends findings and loop health as they come. A client says only
// `{"t":"hello","v":1}` (optional); anything else from a client, or a line longer than MAX_CLIENT_LINE,
// gets that client cut off. Dependency-free: the agent side loads it into the watchdog worker.
import type { Finding } from '../finding.js';
import type { ThreadHealth } from '../thread-health.js';
import { safeStrings } from '../safe-text.js';

export const PROTOCOL_VERSION = 1 as const;

/** The longest line a client may send (bytes); a client that sends more without a newline is cut off. */
export const MAX_CLIENT_LINE = 1024;
/** The longest line a client accepts from an agent (a finding with a deep stack is tens of kB). */
export const MAX_AGENT_LINE = 4 * 1024 * 1024;

export interface AgentHello {
  t: 'hello';
  v: typeof PROTOCOL_VERSION;
  pid: number;
  ppid: number;
  /** The process's command line (from /proc on Linux; else the Node binary and the title). */
  argv: string[];
  cwd: string;
  node: string;
  /** Epoch ms the process started. */
  startedAt: number;
  slowMs: number;
  mode: string;
  /** The libuv pool size the app started with (UV_THREADPOOL_SIZE, default 4). */
  poolSize: number;
}

export interface FindingMessage {
  t: 'finding';
  f: Finding;
  /** True for findings replayed to a client that connected later (not live). */
  replay?: true;
}

export interface HealthMessage {
  t: 'health';
  /** Epoch ms. */
  time: number;
  threads: ThreadHealth[];
  /** Resident set size of the process, bytes. */
  rss?: number;
}

/** The agent is going away (the process exits or the agent stops). */
export interface ByeMessage {
  t: 'bye';
}

export type AgentMessage = AgentHello | FindingMessage | HealthMessage | ByeMessage;

export interface ClientHello {
  t: 'hello';
  v: typeof PROTOCOL_VERSION;
}

export function encode(message: AgentMessage | ClientHello): string {
  return `${JSON.stringify(message)}\n`;
}

/** True for the one message a client may send. */
export function isClientHello(value: unknown): value is ClientHello {
  return typeof value === 'object' && value !== null && (value as { t?: unknown }).t === 'hello' && (value as { v?: unknown }).v === PROTOCOL_VERSION && Object.keys(value).length === 2;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An agent's message, checked for the fields the UI relies on; null for anything else. Its strings come
 * back with control characters made visible (safe-text.ts): an app's error message or URL must not reach
 * the terminal as an escape sequence.
 */
export function parseAgentMessage(line: string): AgentMessage | null {
  let value: unknown;
  try {
    value = safeStrings(JSON.parse(line) as unknown);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  switch (value.t) {
    case 'hello':
      return typeof value.pid === 'number' && Array.isArray(value.argv) ? (value as unknown as AgentHello) : null;
    case 'finding': {
      const f = value.f;
      return isObject(f) && typeof f.id === 'string' && typeof f.kind === 'string' && typeof f.pid === 'number' && typeof f.threadId === 'number' ? (value as unknown as FindingMessage) : null;
    }
    case 'health':
      return Array.isArray(value.threads) && value.threads.every((t) => isObject(t) && typeof t.threadId === 'number' && isObject(t.delay)) ? (value as unknown as HealthMessage) : null;
    case 'bye':
      return { t: 'bye' };
    default:
      return null;
  }
}

/**
 * Splits a byte stream into lines. `onLine` gets each complete line; `onOverflow` is called once when
 * more than `max` bytes arrive without a newline (the caller then drops the connection).
 */
export function lineSplitter(max: number, onLine: (line: string) => void, onOverflow: () => void): (chunk: Buffer) => void {
  let parts: Buffer[] = [];
  let size = 0;
  let over = false;
  return (chunk) => {
    if (over) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (size + piece.length > max) {
        over = true;
        onOverflow();
        return;
      }
      const line = size ? Buffer.concat([...parts, piece]).toString('utf8') : piece.toString('utf8');
      parts = [];
      size = 0;
      start = nl + 1;
      onLine(line);
    }
    const rest = chunk.subarray(start);
    if (rest.length) {
      size += rest.length;
      if (size > max) {
        over = true;
        parts = [];
        onOverflow();
        return;
      }
      parts.push(Buffer.from(rest));
    }
  };
}
