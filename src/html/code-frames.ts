// The source lines around each site, read when the report is built (the page opens from anywhere and
// reads nothing). A report names files, and a report file can be written by anyone who could write its
// directory: only regular files with a JavaScript or TypeScript extension are read, at most MAX_BYTES
// each and MAX_FILES in all, so a crafted line cannot put ~/.ssh/id_rsa into a page meant to be shared.
import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { extname, isAbsolute } from 'node:path';
import type { CodeFrame } from './model.js';
import { cleanText } from './text.js';

const SOURCE = new Set(['.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx', '.vue', '.svelte', '.coffee']);
const MAX_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 500;
/** Lines shown above and below the site's line. */
export const CONTEXT_LINES = 4;
/** A longer line (minified code) is cut. */
const MAX_LINE = 240;

export class SourceReader {
  private readonly files = new Map<string, Promise<string[] | null>>();

  /** The lines around `line` of `file` (absolute), or null when it cannot or may not be read. */
  async frame(file: string, line: number, column: number): Promise<CodeFrame | null> {
    if (!isAbsolute(file) || !SOURCE.has(extname(file).toLowerCase()) || !(line >= 1)) return null;
    let lines = this.files.get(file);
    if (!lines) {
      if (this.files.size >= MAX_FILES) return null;
      lines = readLines(file);
      this.files.set(file, lines);
    }
    const all = await lines;
    if (!all || line > all.length) return null;
    const first = Math.max(1, line - CONTEXT_LINES);
    const last = Math.min(all.length, line + CONTEXT_LINES);
    return { file, line, column, first, lines: all.slice(first - 1, last) };
  }
}

async function readLines(file: string): Promise<string[] | null> {
  let handle;
  try {
    // Non-blocking: a FIFO named in a report must not hang the command.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_BYTES) return null;
    const text = await handle.readFile('utf8');
    return text.split(/\r?\n/).map((l) => cleanText(l.replace(/\t/g, '  '), MAX_LINE));
  } catch {
    return null;
  } finally {
    await handle?.close().catch(() => {});
  }
}
