// Follows the report directory while the command runs (for progress lines): reads what each file
// gained since the last look, whole lines only.
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseReportText, REPORT_NAME, type ReportLine } from './report-files.js';

export interface Follower {
  /** One last look, then no more. */
  stop(): Promise<void>;
}

export function followReports(dir: string, skipLines: Map<string, number>, onLine: (line: ReportLine) => void, everyMs = 500): Follower {
  const offsets = new Map<string, number>();
  const partial = new Map<string, string>();
  let busy: Promise<void> | null = null;

  async function readNew(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => REPORT_NAME.test(n)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const file = join(dir, name);
      let handle;
      try {
        handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
        const start = offsets.get(file) ?? 0;
        const { size } = await handle.stat();
        if (size <= start) continue;
        const buf = Buffer.alloc(size - start);
        const { bytesRead } = await handle.read(buf, 0, buf.length, start);
        offsets.set(file, start + bytesRead);
        const text = (partial.get(file) ?? '') + buf.subarray(0, bytesRead).toString('utf8');
        const cut = text.lastIndexOf('\n');
        partial.set(file, text.slice(cut + 1));
        let lines = text.slice(0, cut + 1).split('\n');
        // Lines that were there before this run: skip them once.
        const skip = skipLines.get(file) ?? 0;
        if (skip > 0 && start === 0) lines = lines.slice(skip);
        for (const f of parseReportText(file, lines.join('\n'), [])) onLine(f);
      } catch {
        // a file that vanished or cannot be read now: the final read names it
      } finally {
        await handle?.close().catch(() => {});
      }
    }
  }

  const tick = () => {
    if (!busy) busy = readNew().finally(() => (busy = null));
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await busy;
      await readNew();
    },
  };
}
