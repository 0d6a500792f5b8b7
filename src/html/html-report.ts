// `asyncdebug report --html` and `asyncdebug ci --html`: the run's reports as one self-contained HTML
// page (docs/html-report.md).
import type { Reports } from '../cli/report-files.js';
import { VERSION } from '../cli/version.js';
import { pageAssets } from './assets.js';
import { buildModel } from './build-model.js';
import { renderHtml } from './render-html.js';
import { writeReportFile } from './write-file.js';

export interface HtmlOptions {
  root: string;
  command?: string[] | null;
}

export interface HtmlWritten {
  path: string;
  bytes: number;
  findings: number;
}

function localTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The page for these reports, as text. */
export async function htmlReport(reports: Reports, o: HtmlOptions): Promise<{ html: string; findings: number }> {
  const model = await buildModel(reports, { root: o.root, command: o.command ?? null, tool: VERSION });
  const title = `asyncdebug report · ${localTime(model.start)}${model.command ? ` · ${model.command.slice(0, 80)}` : ''}`;
  return { html: renderHtml(model, await pageAssets(), title), findings: model.marks.length + model.omitted.marks };
}

export async function writeHtmlReport(path: string, reports: Reports, o: HtmlOptions): Promise<HtmlWritten> {
  const { html, findings } = await htmlReport(reports, o);
  return { path, bytes: await writeReportFile(path, html), findings };
}

export function describeWritten(w: HtmlWritten, shownPath: string): string {
  const size = w.bytes >= 1024 * 1024 ? `${(w.bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(w.bytes / 1024))} kB`;
  return `wrote the HTML report ${shownPath} (${size}, ${w.findings} finding${w.findings === 1 ? '' : 's'})`;
}

/**
 * `asyncdebug ci --html FILE`: the page as a CI artifact. A failure to write it is one line on stderr
 * and changes nothing else: the gate's verdict and exit code are the gate's.
 */
export async function writeCiHtml(path: string, reports: Reports, o: HtmlOptions, err: (text: string) => void): Promise<void> {
  try {
    const written = await writeHtmlReport(path, reports, o);
    err(`  ${describeWritten(written, path)}\n`);
  } catch (e) {
    err(`asyncdebug: ${(e as Error).message}\n`);
  }
}
