// The words of a block finding's `message`: which thread, how long, and what held the loop at its
// heaviest site. Plain values in, one sentence out (the open block decides the values, open-block.ts).
import type { BlockOrigin, Frame } from '../../finding.js';
import { formatDuration, where } from '../../wording.js';

/** What held the loop at the heaviest site, when more than plain JavaScript did. */
export type SiteOrigin = Extract<BlockOrigin['type'], 'sync-api' | 'module-load' | 'native'>;

export interface BlockWording {
  /** The thread in words (wording.ts `threadName`). */
  thread: string;
  durationMs: number;
  /** Still blocked: "has not turned for"; over: "was blocked for". */
  ongoing: boolean;
  /** The heaviest site, and its weight (ms) out of every read's weight. */
  site: Frame;
  siteMs: number;
  totalMs: number;
  origin: SiteOrigin | undefined;
  /** For `sync-api`: the API in flight. */
  api: string | undefined;
  /** For `native`: the site seen just before the thread left JavaScript. */
  after: Frame | null;
  cwd: string;
  /** The heavy caller of the site, when it was reached by more than one way, and its weight: then the share is its. */
  caller?: Frame | null;
  callerMs?: number;
  /** The request served (`GET /users/:id`), when known. */
  request?: string | undefined;
}

export function blockMessage(w: BlockWording): string {
  const serving = w.request ? ` serving ${w.request}` : '';
  const head = w.ongoing
    ? `The event loop of the ${w.thread} has not turned for ${formatDuration(w.durationMs)}${serving}`
    : `The event loop of the ${w.thread} was blocked for ${formatDuration(w.durationMs)}${serving}`;
  // "spin (app.js:3) ← renderReport (app.js:11)": the site, by the way that held the loop longest.
  const via = w.caller ? ` ← ${w.caller.function} (${where(w.caller, w.cwd)})` : '';
  const at = `${w.site.function} (${where(w.site, w.cwd)})${via}`;
  // A site (or a way into it) that held (nearly) all of the block needs no share.
  const ms = w.caller ? (w.callerMs ?? 0) : w.siteMs;
  const share = w.totalMs > 0 && ms < w.totalMs * 0.9 ? `, ${Math.round((ms / w.totalMs) * 100)}% of it` : '';
  switch (w.origin) {
    case 'sync-api':
      return `${head}${share} in ${w.api} called at ${at}.`;
    case 'module-load':
      return `${head}${share} loading a module on first use (a lazy require or import, or Node's own, e.g. undici at the first fetch): a one-time warm-up, at ${at}.`;
    case 'native':
      return w.after
        ? `${head}${share} outside JavaScript (JSON, a regular expression, a native addon or compilation), in a call between ${where(w.after, w.cwd)} and ${where(w.site, w.cwd)}${via}.`
        : `${head}${share} outside JavaScript (JSON, a regular expression, a native addon or compilation), in a call that returned at ${at}.`;
    default:
      return `${head}${share} at ${at}.`;
  }
}
