// The report as one HTML file: the page's script and styles inlined, the run's model as JSON in a
// <script type="application/json"> (data, never run), and a Content-Security-Policy that lets only
// that one script run (by its hash) and the page load and send nothing, so even a string that got
// past the escaping could not become markup that runs or reaches the network.
import { createHash } from 'node:crypto';
import type { ReportModel } from './model.js';

export interface PageAssets {
  script: string;
  style: string;
}

const JSON_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** JSON that stays data inside a <script> element: no `</script>`, no `<!--`, whatever the strings hold. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => JSON_ESCAPES[c]!);
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
<script type="application/json" id="asyncdebug-data">${scriptSafeJson(model)}</script>
<script>${assets.script}</script>
</body>
</html>
`;
}
