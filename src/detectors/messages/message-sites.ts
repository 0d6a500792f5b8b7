// The large messages of one thread, one entry per call site (count, longest clone, largest size), and
// their findings: written when a site is first seen and again (same id) as its count reaches 2, 4,
// 8 …, and at exit where the written count is behind.
import { makeFinding, type Finding, type Frame, type OtherFinding } from '../../finding.js';
import { siteOf } from '../../frames/frames.js';
import { formatDuration } from '../../wording.js';
import { describeReceiver, type Receiver } from './receiver.js';
import { now } from '../../original.js';

export interface MessageSite {
  id: string;
  api: string;
  site: Frame | null;
  frames: Frame[];
  receiver: Receiver | null;
  time: number;
  count: number;
  totalMs: number;
  maxMs: number;
  bytes: number;
  reportedCount: number;
  nextReportAt: number;
}

export interface MessageBook {
  /** A large or slow message from `frames`; `receiver` is asked only for a site seen first. */
  add(api: string, frames: Frame[], ms: number, bytes: number, receiver: () => Receiver | null): void;
  /** At exit: the sites whose written count is behind are written again. */
  flush(): void;
  /** Sites found (each is one finding). */
  found(): number;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n >= 100 * 1024 * 1024 ? 0 : 1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} kB`;
  return `${n} bytes`;
}

/** The finding of a site, as it stands. `sender`: this thread in words. */
export function messageFinding(s: MessageSite, sender: string): OtherFinding {
  const size = `~${formatBytes(s.bytes)}`;
  const times = s.count === 1 ? '' : ` (${s.count} times at this site, ${formatDuration(s.totalMs)} in all)`;
  return makeFinding<OtherFinding>('large-message', {
    id: s.id,
    time: s.time,
    message:
      `${s.api} to ${describeReceiver(s.receiver)} cloned ${size} in ${formatDuration(s.maxMs)} on the ${sender}${times}; ` +
      `the receiver pays again to deserialize it. Transfer buffers instead of copying them ` +
      `(postMessage(msg, [arrayBuffer]) or a MessagePort), share a SharedArrayBuffer, or send less.`,
    site: s.site,
    frames: s.frames,
    api: s.api,
    durationMs: Math.round(s.maxMs * 100) / 100,
    totalMs: Math.round(s.totalMs * 100) / 100,
    count: s.count,
    bytes: s.bytes,
    receiver: s.receiver,
  });
}

export function createMessageBook(emit: (f: Finding) => void, threadId: number, sender: string): MessageBook {
  const sites = new Map<string, MessageSite>();
  let counter = 0;
  const report = (s: MessageSite) => {
    s.reportedCount = s.count;
    emit(messageFinding(s, sender));
  };
  return {
    add(api, frames, ms, bytes, receiver) {
      const site = siteOf(frames);
      const key = `${api} ${site ? `${site.file}:${site.line}:${site.column}` : frames[0] ? `${frames[0].file}:${frames[0].line}` : '?'}`;
      let s = sites.get(key);
      if (!s) {
        s = { id: `message-${threadId}-${++counter}`, api, site, frames, receiver: receiver(), time: now(), count: 0, totalMs: 0, maxMs: 0, bytes: 0, reportedCount: 0, nextReportAt: 1 };
        sites.set(key, s);
      }
      s.count++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      s.bytes = Math.max(s.bytes, bytes);
      if (s.count >= s.nextReportAt) {
        s.nextReportAt = s.count * 2;
        report(s);
      }
    },
    flush() {
      for (const s of sites.values()) if (s.count !== s.reportedCount) report(s);
    },
    found: () => sites.size,
  };
}
