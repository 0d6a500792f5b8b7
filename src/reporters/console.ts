// Console reporter: one readable block per finding on stderr, deduplicated by site with a count, and
// bounded (console-limit.ts): past a site's first lines its blocks are counted and said now and then.
// Written with writeSync(2) so it never waits on the app's (possibly blocked) loop or its streams.
// Runs at the hub (the watchdog worker), so chalk and the code-frame library never load into the app's
// threads. Blocks are drawn here; every other kind goes through the plain lines (console-plain.ts).
import { Chalk, type ChalkInstance } from 'chalk';
import { readFileSync } from 'node:fs';
import { codeFrameColumns } from '../code-frame.js';
import type { BlockFinding, Finding, Frame } from '../finding.js';
import { isAppFrame, siteOf } from '../frames/frames.js';
import { colorLevel, formatDuration, threadName, where as whereRaw, writeStderr, type ColorLevel } from './console-format.js';
import { callbackText, requestWords } from '../wording.js';
import { metThreshold } from '../finding.js';
import type { CreateReporter, Reporter } from './reporter.js';
import { createPlainConsoleReporter } from './console-plain.js';
import { createConsoleLimit, LINES_PER_MINUTE, LINES_PER_SITE, type Folded } from './console-limit.js';
import { safeText } from '../safe-text.js';
import { now as agentNow } from '../original.js';

/** A frame's place as shown: control characters in a path made visible (safe-text.ts). */
const where = (frame: Frame | null | undefined, cwd: string) => safeText(whereRaw(frame ?? null, cwd), true);

function codeFrame(frame: Frame, color: boolean): string {
  try {
    const source = readFileSync(frame.file, 'utf8');
    return codeFrameColumns(source, { start: { line: frame.line, column: frame.column } }, {
      highlightCode: color,
      forceColor: color,
      linesAbove: 2,
      linesBelow: 1,
    });
  } catch {
    return '';
  }
}

/** ` serving GET /users/:id`: the request behind the block, when named. */
function servingText(f: BlockFinding): string {
  return f.request ? ` serving ${safeText(requestWords(f.request, f.requests), true)}` : '';
}

function originText(f: BlockFinding): string {
  if (f.callback && f.origin?.type === f.callback.type) return ` · ${callbackText(f.callback, siteOf(f.callback.scheduledAt), process.cwd()).replace(/^It ran in /, 'in ').replace(/\.$/, '')}`;
  switch (f.origin?.type) {
    case 'sync-api':
      return ` in ${f.origin.api ?? 'a sync API'}`;
    case 'module-load':
      return ' loading a module on first use (one-time warm-up)';
    case 'native':
      return ' outside JavaScript';
    default:
      return '';
  }
}

/** "time by site: 62% a.js:5, 38% a.js:4" when the block was spread over several sites. */
function profileText(f: BlockFinding, cwd = process.cwd()): string {
  // Entries at one line (different sync APIs in flight there, e.g. a loader's reads under one import())
  // are one site in words.
  const shares = new Map<string, number>();
  for (const e of f.profile ?? []) {
    const at = where(e.site, cwd);
    shares.set(at, (shares.get(at) ?? 0) + e.share);
  }
  const p = [...shares].sort((a, b) => b[1] - a[1]);
  if (p.length < 2 || (p[0]?.[1] ?? 1) >= 0.9) return '';
  return `time by site: ${p.map(([at, share]) => `${Math.round(share * 100)}% ${at}`).join(', ')}`;
}

export interface ConsoleOptions {
  write?: (text: string) => void;
  level?: ColorLevel;
  cwd?: string;
  /** The clock of the rate limits (console-limit.ts). */
  now?: () => number;
}

/** A block that goes on this long is shown even at a site past its first lines (an infinite loop). */
const LONG_MS = 1000;

export function createConsoleReporter(options: ConsoleOptions = {}): Reporter {
  const write = options.write ?? writeStderr;
  const level = options.level ?? colorLevel();
  const now = options.now ?? agentNow;
  const c: ChalkInstance = new Chalk({ level });
  const cwd = options.cwd ?? process.cwd();
  /** Blocks seen per site, the number of each shown block at its site, and blocks shown in full. */
  const seen = new Map<string, number>();
  const blockNumber = new Map<string, number>();
  const printed = new Set<string>();
  const limit = createConsoleLimit();
  const tag = c.bold.magenta('asyncdebug');

  const moreLine = (m: Folded) =>
    `${tag} ${c.red(`${m.count} more block${m.count === 1 ? '' : 's'}`)} at ${c.cyan(m.at)} (the worst ${formatDuration(m.worstMs)}, ${formatDuration(m.totalMs)} in all) · ${m.thread} · not shown one by one\n`;

  const hiddenLine = (n: number) => `${tag} ${n} more finding${n === 1 ? ' was' : 's were'} not shown in the last minute (at most ${LINES_PER_MINUTE} a minute); the summary counts them\n`;

  /**
   * A block not shown yet: shown now (`show`), or counted for its site, which is said now and then
   * (`text`). A short block past its site's first lines is counted when it ends (its final duration).
   */
  function admitBlock(f: BlockFinding, key: string, thread: string, at: string): { show: boolean; text: string } {
    const long = f.ongoing && f.durationMs >= LONG_MS;
    if (f.ongoing && !long && (seen.get(key) ?? 0) >= LINES_PER_SITE) return { show: false, text: '' };
    const t = now();
    if (!long && !limit.admit(key, { kind: 'block', pid: f.pid, threadId: f.threadId, at, thread, durationMs: f.durationMs }, t)) {
      const due = limit.due(key, t);
      return { show: false, text: due ? moreLine(due) : '' };
    }
    if (!limit.line(t)) return { show: false, text: '' };
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    blockNumber.set(f.id, n);
    const hidden = limit.hidden(t);
    return { show: true, text: hidden ? hiddenLine(hidden) : '' };
  }

  function blockText(f: BlockFinding): string {
    const key = `block ${f.pid}:${f.threadId} ${f.site ? `${f.site.file}:${f.site.line}` : f.frames[0]?.file ?? '?'}`;
    const thread = `${threadName(f.threadId, f.threadName)} · pid ${f.pid}`;
    const at = where(f.site, cwd);
    if (blockNumber.has(f.id)) return shownBlockText(f, thread, at);
    const { show, text } = admitBlock(f, key, thread, at);
    return show ? text + shownBlockText(f, thread, at) : text;
  }

  /** The lines of a block that is shown: in full the first time at its site, then one line. */
  function shownBlockText(f: BlockFinding, thread: string, at: string): string {
    const n = blockNumber.get(f.id) ?? 1;
    if (!f.ongoing) blockNumber.delete(f.id);
    // A block reported while it went on that turned out under its threshold: the message says what it was.
    if (!f.ongoing && !metThreshold(f)) {
      printed.delete(f.id);
      return `${tag} ${c.dim('not a block after all:')} ${safeText(f.message, true)} · ${thread}\n`;
    }
    const duration = c.bold(formatDuration(f.durationMs));
    if (n > 1) {
      // A site already shown in full: one line when the block ends, or when a re-sample says it goes on.
      if (f.ongoing && (f.samples ?? 0) <= 1 && f.durationMs < LONG_MS) return '';
      const state = f.ongoing ? c.yellow(' (still blocked)') : '';
      return `${tag} ${c.red('event loop blocked')} ${duration}${state}${servingText(f)} at ${c.cyan(at)} · ${thread} · ${n}× at this site\n`;
    }
    if (printed.has(f.id)) {
      if (f.ongoing) return `${tag} ${c.yellow('still blocked')} after ${duration} at ${c.cyan(at)} · ${thread}\n`;
      printed.delete(f.id);
      const spread = profileText(f, cwd);
      return `${tag} loop turned again: blocked ${duration} in all${servingText(f)}${originText(f)} at ${c.cyan(at)} · ${thread}\n${spread ? `    ${c.dim(spread)}\n` : ''}`;
    }
    if (f.ongoing) printed.add(f.id);
    const state = f.ongoing ? c.yellow(' (still blocked)') : '';
    const lines = [`${tag} ${c.red('event loop blocked')} for ${duration}${state}${servingText(f)}${originText(f)} · ${thread}`];
    const shown = f.frames.filter(isAppFrame).slice(0, 6);
    for (const fr of shown) lines.push(`    at ${safeText(fr.function, true)} (${c.cyan(where(fr, cwd))})${fr.generated ? c.dim(' (position in transpiled code)') : ''}`);
    if (!f.site && f.reason) lines.push(`    no application frame: ${safeText(f.reason, true)}`);
    if (shown.length === 0 && f.frames[0]) lines.push(`    at ${safeText(f.frames[0].function, true)} (${where(f.frames[0], cwd)})`);
    // No code frame for a position no map was found for yet: no frame beats a wrong one.
    if (f.site && !f.site.generated) {
      const frame = codeFrame(f.site, level > 0);
      if (frame) lines.push(frame.replace(/^/gm, '    '));
    }
    const spread = profileText(f, cwd);
    if (spread) lines.push(`    ${c.dim(spread)}`);
    return lines.join('\n') + '\n';
  }

  const plain = createPlainConsoleReporter({ write, cwd, level, limit, now });
  return {
    report(f: Finding) {
      if (f.kind !== 'block') {
        // At a thread's exit, the blocks of its sites not shown one by one, before its summary.
        if (f.kind === 'summary') for (const m of limit.atThreadExit(f.pid, f.threadId)) if (m.kind === 'block') write(moreLine(m));
        return plain.report(f);
      }
      const text = blockText(f);
      if (text) write(text);
    },
  };
}

export const createReporter: CreateReporter = () => createConsoleReporter();
