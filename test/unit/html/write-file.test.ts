// Where `--html FILE` writes: never through a symlink, never into a FIFO or device, never over a file of
// another user's; a regular file of the user's is replaced whole.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { takeHtmlOption, DEFAULT_HTML } from '../../../src/cli/html-option.js';
import { writeReportFile } from '../../../src/html/write-file.js';
import { tempDir } from '../../helpers.js';

/** The uid of `nobody`, when this test runs as root (a real second user owns the file); else null. */
function nobody(): number | null {
  if (process.getuid?.() !== 0) return null;
  try {
    return Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
}

describe('writing the HTML report file', () => {
  it('creates a new file readable by others (0644 less the umask) and replaces its own file whole', async () => {
    const dir = tempDir();
    const out = join(dir, 'r.html');
    expect(await writeReportFile(out, 'a much longer first version')).toBe(27);
    expect(statSync(out).mode & 0o777).toBe(0o644 & ~process.umask());
    await writeReportFile(out, 'short');
    expect(readFileSync(out, 'utf8')).toBe('short');
  });

  it('does not follow a symlink, and leaves its target alone', async () => {
    const dir = tempDir();
    const target = join(dir, 'precious');
    writeFileSync(target, 'keep me');
    symlinkSync(target, join(dir, 'r.html'));
    await expect(writeReportFile(join(dir, 'r.html'), 'x')).rejects.toThrow(/r\.html is a symbolic link; not following it/);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(lstatSync(join(dir, 'r.html')).isSymbolicLink()).toBe(true);
  });

  it('does not open a FIFO for long or write to it, nor to a directory', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'pipe.html')]);
    await expect(writeReportFile(join(dir, 'pipe.html'), 'x')).rejects.toThrow(/pipe\.html is not a regular file/);
    await expect(writeReportFile(dir, 'x')).rejects.toThrow(/cannot write/);
  });

  it('does not overwrite a file of another user, even one it could write', async (ctx) => {
    const uid = nobody();
    if (uid === null) {
      console.log('skipped: needs root and a `nobody` user to own the file');
      ctx.skip();
    }
    const dir = tempDir();
    const theirs = join(dir, 'theirs.html');
    writeFileSync(theirs, 'their report');
    chownSync(theirs, uid!, uid!);
    chmodSync(theirs, 0o666);
    await expect(writeReportFile(theirs, 'x')).rejects.toThrow(/theirs\.html belongs to another user; not overwriting it/);
    expect(readFileSync(theirs, 'utf8')).toBe('their report');
  });
});

describe('--html [FILE]', () => {
  it('takes a following name only when it names an HTML file', () => {
    expect(takeHtmlOption(['--html', 'out.html', 'reports'])).toEqual({ html: 'out.html', rest: ['reports'] });
    expect(takeHtmlOption(['--html', 'reports'])).toEqual({ html: DEFAULT_HTML, rest: ['reports'] });
    expect(takeHtmlOption(['reports', '--html'])).toEqual({ html: DEFAULT_HTML, rest: ['reports'] });
    expect(takeHtmlOption(['--html=any-name', '--json', 'r'])).toEqual({ html: 'any-name', rest: ['--json', 'r'] });
    expect(takeHtmlOption(['--html', 'X.HTM'])).toEqual({ html: 'X.HTM', rest: [] });
    expect(takeHtmlOption(['--json', 'r'])).toEqual({ html: null, rest: ['--json', 'r'] });
    expect(takeHtmlOption(['--', '--html'])).toEqual({ html: null, rest: ['--', '--html'] });
  });
});
