// Console reporter: one readable block per finding on stderr, deduplicated by site with a count.
// Written with writeSync(2) so it never waits on the app's (possibly blocked) loop or its streams.
import { codeFrameColumns } from '@babel/code-frame';
import { Chalk, type ChalkInstance } from 'chalk';
import { readFileSync, writeSync } from 'node:fs';
import { relative } from 'node:path';
import type { BlockFinding, Finding, Frame, SummaryFinding } from '../finding.js';
import { isAppFrame } from '../frames/frames.js';
import type { Reporter } from './reporter.js';

export function colorLevel(env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stderr.isTTY)): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === '0' || force === 'false') return 0;
    return force === '2' ? 2 : force === '3' ? 3 : 1;
  }
  return isTTY ? 1 : 0;
}

export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 2)} s` : `${Math.round(ms)} ms`;
}

function threadName(threadId: number): string {
  return threadId === 0 ? 'main thread' : `worker thread ${threadId}`;
}

function where(frame: Frame | null, cwd: string): string {
  if (!frame) return 'an unknown place (no application frame on the stack)';
  const rel = relative(cwd, frame.file);
  const file = rel && !rel.startsWith('..') ? rel : frame.file;
  return `${file}:${frame.line}:${frame.column}`;
}

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

export interface ConsoleOptions {
  write?: (text: string) => void;
  level?: 0 | 1 | 2 | 3;
  cwd?: string;
}

export function createConsoleReporter(options: ConsoleOptions = {}): Reporter {
  const write = options.write ?? ((text: string) => {
    try {
      writeSync(2, text);
    } catch {
      // stderr closed
    }
  });
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
    const thread = `${threadName(f.threadId)} · pid ${f.pid}`;
    const at = where(f.site, cwd);
    if (!blockNumber.has(f.id)) {
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      blockNumber.set(f.id, n);
    }
    const n = blockNumber.get(f.id) ?? 1;
    if (!f.ongoing) blockNumber.delete(f.id);
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
      return `${tag} loop turned again: blocked ${duration} in all at ${c.cyan(at)} · ${thread}\n`;
    }
    if (f.ongoing) printed.add(f.id);
    const state = f.ongoing ? c.yellow(' (still blocked)') : '';
    const lines = [`${tag} ${c.red('event loop blocked')} for ${duration}${state} · ${thread}`];
    const shown = f.frames.filter(isAppFrame).slice(0, 6);
    for (const fr of shown) lines.push(`    at ${fr.function} (${c.cyan(where(fr, cwd))})`);
    if (shown.length === 0 && f.frames[0]) lines.push(`    at ${f.frames[0].function} (${where(f.frames[0], cwd)})`);
    if (f.site) {
      const frame = codeFrame(f.site, level > 0);
      if (frame) lines.push(frame.replace(/^/gm, '    '));
    }
    return lines.join('\n') + '\n';
  }

  function summaryText(f: SummaryFinding): string | null {
    const total = Object.entries(f.counts).reduce((n, [k, v]) => (k === 'summary' ? n : n + (v ?? 0)), 0);
    if (total === 0) return null;
    const parts = Object.entries(f.counts)
      .filter(([, v]) => v)
      .map(([k, v]) => `${v} ${k}${v === 1 ? '' : k.endsWith('s') ? '' : 's'}`);
    const d = f.loopDelay;
    return `${tag} ${threadName(f.threadId)} (pid ${f.pid}) exiting: ${parts.join(', ')}; loop delay p50 ${formatDuration(d.p50)}, p99 ${formatDuration(d.p99)}, max ${formatDuration(d.max)}; utilization ${Math.round(f.elu * 100)}%\n`;
  }

  return {
    report(f: Finding) {
      let text: string | null;
      if (f.kind === 'block') text = blockText(f);
      else if (f.kind === 'summary') text = summaryText(f);
      else text = `${tag} ${f.kind}: ${f.message} at ${c.cyan(where(f.site, cwd))}\n`;
      if (text) write(text);
    },
  };
}
