// The log `asyncdebug tui -- <command>` writes the command's output to: by default a new file (mode 600,
// a name nobody can guess) in the private socket directory, never the old predictable
// /tmp/asyncdebug-tui-<pid>.log; a --log FILE that another user made, or a symlink, is refused.
// The second user is `nobody` (root only; otherwise those cases skip, saying why).
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLogPath, openLog } from '../../src/cli/tui-command.js';
import { ensurePrivateDir } from '../../src/tui/socket-dir.js';
import { tempDir } from '../helpers.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('tui log second-user cases skipped: they need root, to act as nobody with setpriv');

function asNobody(script: string): void {
  execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-euc', script], { stdio: 'pipe' });
}

describe('the tui command log', () => {
  it('by default: a new file of mode 600 in the private directory, under a name nobody can guess', () => {
    const base = join(tempDir(), 'sockets');
    expect(ensurePrivateDir(base)).toBeNull();
    const a = defaultLogPath(base);
    const b = defaultLogPath(base);
    expect(a).not.toBe(b);
    expect(dirname(a)).toBe(base);
    expect(a).not.toContain(`asyncdebug-tui-${process.pid}.log`);
    const fd = openLog(a, false);
    writeSync(fd, 'output\n');
    closeSync(fd);
    expect(statSync(a).mode & 0o777).toBe(0o600);
    // made new: an existing file of that name is never opened
    expect(() => openLog(a, false)).toThrow(/EEXIST/);
  });

  it('--log FILE of this user: emptied and used', () => {
    const file = join(tempDir(), 'mine.log');
    writeFileSync(file, 'old output\n');
    const fd = openLog(file, true);
    writeSync(fd, 'new\n');
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('new\n');
  });

  it.skipIf(!isRoot)("--log FILE another user made (mode 666, to read the app's output) is refused and left as it was", () => {
    const shared = tempDir();
    chmodSync(shared, 0o1777);
    const file = join(shared, 'asyncdebug-tui.log');
    asNobody(`printf 'theirs\\n' > '${file}' && chmod 666 '${file}'`);
    expect(() => openLog(file, true)).toThrow(/belongs to another user \(uid 65534\)/);
    expect(readFileSync(file, 'utf8')).toBe('theirs\n');
  });

  it.skipIf(!isRoot)('--log FILE that is a symlink (to a file only this user may write) is refused and the target left intact', () => {
    const shared = tempDir();
    chmodSync(shared, 0o1777);
    const secret = join(tempDir(), 'secret');
    writeFileSync(secret, 'root only\n', { mode: 0o600 });
    // In a directory of the other user's (not sticky: the kernel's protected_symlinks does not step in).
    const file = join(shared, 'theirs', 'out.log');
    asNobody(`mkdir -m 755 '${dirname(file)}' && ln -s '${secret}' '${file}'`);
    expect(() => openLog(file, true)).toThrow(/ELOOP/);
    expect(readFileSync(secret, 'utf8')).toBe('root only\n');
  });
});
