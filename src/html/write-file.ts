// Writes the report where the user asked, without being turned against them: the last component of
// the path is never followed if it is a symbolic link (O_NOFOLLOW), a FIFO or device is never opened for
// long (O_NONBLOCK) or written, and an existing file is replaced only when it is a regular file of this
// user's, checked on the open file before it is truncated. A new file gets 0644 less the umask: a
// report is for people to open and share.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export class ReportFileError extends Error {}

export async function writeReportFile(path: string, text: string): Promise<number> {
  let handle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new ReportFileError(`${path} is a symbolic link; not following it`);
    if (code === 'ENXIO') throw new ReportFileError(`${path} is not a regular file`);
    throw new ReportFileError(`cannot write ${path}: ${(err as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ReportFileError(`${path} is not a regular file; not writing to it`);
    const uid = process.getuid?.();
    if (uid !== undefined && info.uid !== uid) throw new ReportFileError(`${path} belongs to another user; not overwriting it`);
    await handle.truncate(0);
    await handle.writeFile(text, 'utf8');
    return Buffer.byteLength(text, 'utf8');
  } catch (err) {
    if (err instanceof ReportFileError) throw err;
    throw new ReportFileError(`cannot write ${path}: ${(err as Error).message}`);
  } finally {
    await handle.close().catch(() => {});
  }
}
