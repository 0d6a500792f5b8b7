// The report as one HTML file: the page's script and styles inlined, the run's model as gzipped JSON in
// base64 inside a <script type="application/octet-stream"> (data, never run; base64 has no character
// that could end the element; gzip makes 10,000 findings ~0.5 MB instead of ~4 MB), and a
// Content-Security-Policy that lets only that one script run (by its hash) and lets the page load and
// send nothing: even a string that got past the page's text-only DOM could not run or reach the network.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ReportModel } from './model.js';

export interface PageAssets {
  script: string;
  style: string;
}

/** The model as the page reads it (page/data.ts): JSON, gzipped, in base64. */
export function encodeModel(model: ReportModel): string {
  return gzipSync(JSON.stringify(model), { level: 9 }).toString('base64');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export function renderHtml(model: ReportModel, assets: PageAssets, title: string): string {
  if (/<\/script/i.test(assets.script) || /<\/style/i.test(assets.style)) throw new Error('the page bundle cannot be inlined (it closes its element)');
  const csp = [`default-src 'none'`, `script-src ${hash(assets.script)}`, `style-src ${hash(assets.style)}`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="asyncdebug ${escapeHtml(model.tool)}">
<title>${escapeHtml(title)}</title>
<style>${assets.style}</style>
</head>
<body>
<div id="app"><noscript>This report is drawn by its own inline script: allow scripts for this file to see it.</noscript></div>
<script type="application/octet-stream" id="asyncdebug-data" data-encoding="gzip+base64">${encodeModel(model)}</script>
<script>${assets.script}</script>
</body>
</html>
`;
}
