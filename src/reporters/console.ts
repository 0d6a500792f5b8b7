// Console reporter: one readable block per finding on stderr, deduplicated by site with a count.
// Written with writeSync(2) so it never waits on the app's (possibly blocked) loop or its streams.
// Runs at the hub (the watchdog worker), so chalk and the code-frame library never load into the app's
// threads. Blocks are drawn here; every other kind goes through the plain lines (console-plain.ts).
import { Chalk, type ChalkInstance } from 'chalk';
import { readFileSync } from 'node:fs';
import { codeFrameColumns } from '../code-frame.js';
import type { BlockFinding, Finding, Frame } from '../finding.js';
import { isAppFrame, siteOf } from '../frames/frames.js';
import { colorLevel, formatDuration, threadName, where, writeStderr, type ColorLevel } from './console-format.js';
import { callbackText } from '../wording.js';
import { metThreshold } from '../block-threshold.js';
import type { CreateReporter, Reporter } from './reporter.js';
import { createPlainConsoleReporter } from './console-plain.js';

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
  const p = f.profile ?? [];
  if (p.length < 2 || (p[0]?.share ?? 1) >= 0.9) return '';
  return `time by site: ${p.map((e) => `${Math.round(e.share * 100)}% ${where(e.site, cwd)}`).join(', ')}`;
}

export interface ConsoleOptions {
  write?: (text: string) => void;
  level?: ColorLevel;
  cwd?: string;
}

export function createConsoleReporter(options: ConsoleOptions = {}): Reporter {
  const write = options.write ?? writeStderr;
  const level = options.level ?? colorLevel();
  const c: ChalkInstance = new Chalk({ level });
  const cwd = options.cwd ?? process.cwd();
  /** Blocks seen per site, the number of each open block at its site, and blocks shown in full. */
  const seen = new Map<string, number>();
  const blockNumber = new Map<string, number>();
  const printed = new Set<string>();
  const tag = c.bold.magenta('asyncdebug');

  function blockText(f: BlockFinding): string {
    const key = `block ${f.site ? `${f.site.file}:${f.site.line}` : f.frames[0]?.file ?? '?'}`;
    const thread = `${threadName(f.threadId, f.threadName)} · pid ${f.pid}`;
    const at = where(f.site, cwd);
    if (!blockNumber.has(f.id)) {
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      blockNumber.set(f.id, n);
    }
    const n = blockNumber.get(f.id) ?? 1;
    if (!f.ongoing) blockNumber.delete(f.id);
    // A block reported while it went on that turned out under its threshold: the message says what it was.
    if (!f.ongoing && !metThreshold(f)) {
      printed.delete(f.id);
      return `${tag} ${c.dim('not a block after all:')} ${f.message} · ${thread}\n`;
    }
    const duration = c.bold(formatDuration(f.durationMs));
    if (n > 1) {
      // A site already shown in full: one line when the block ends, or when a re-sample says it goes on.
      if (f.ongoing && (f.samples ?? 0) <= 1) return '';
      const state = f.ongoing ? c.yellow(' (still blocked)') : '';
      return `${tag} ${c.red('event loop blocked')} ${duration}${state} at ${c.cyan(at)} · ${thread} · ${n}× at this site\n`;
    }
    if (printed.has(f.id)) {
      if (f.ongoing) return `${tag} ${c.yellow('still blocked')} after ${duration} at ${c.cyan(at)} · ${thread}\n`;
      printed.delete(f.id);
      const spread = profileText(f, cwd);
      return `${tag} loop turned again: blocked ${duration} in all${originText(f)} at ${c.cyan(at)} · ${thread}\n${spread ? `    ${c.dim(spread)}\n` : ''}`;
    }
    if (f.ongoing) printed.add(f.id);
    const state = f.ongoing ? c.yellow(' (still blocked)') : '';
    const lines = [`${tag} ${c.red('event loop blocked')} for ${duration}${state}${originText(f)} · ${thread}`];
    const shown = f.frames.filter(isAppFrame).slice(0, 6);
    for (const fr of shown) lines.push(`    at ${fr.function} (${c.cyan(where(fr, cwd))})${fr.generated ? c.dim(' (position in transpiled code)') : ''}`);
    if (!f.site && f.reason) lines.push(`    no application frame: ${f.reason}`);
    if (shown.length === 0 && f.frames[0]) lines.push(`    at ${f.frames[0].function} (${where(f.frames[0], cwd)})`);
    // No code frame for a position no map was found for yet: no frame beats a wrong one.
    if (f.site && !f.site.generated) {
      const frame = codeFrame(f.site, level > 0);
      if (frame) lines.push(frame.replace(/^/gm, '    '));
    }
    const spread = profileText(f);
    if (spread) lines.push(`    ${c.dim(spread)}`);
    return lines.join('\n') + '\n';
  }

  const plain = createPlainConsoleReporter({ write, cwd, level });
  return {
    report(f: Finding) {
      if (f.kind !== 'block') return plain.report(f);
      const text = blockText(f);
      if (text) write(text);
    },
  };
}

export const createReporter: CreateReporter = () => createConsoleReporter();
