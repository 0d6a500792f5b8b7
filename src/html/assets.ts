// The page's script and styles, built by scripts/bundle-page.mjs into dist/html/ (next to this module
// once built; the path also holds when the tests run this module from src/).
import { readFile } from 'node:fs/promises';
import type { PageAssets } from './render-html.js';

const DIST = new URL('../../dist/html/', import.meta.url);

export async function pageAssets(): Promise<PageAssets> {
  try {
    const [script, style] = await Promise.all([readFile(new URL('page-bundle.js', DIST), 'utf8'), readFile(new URL('page-bundle.css', DIST), 'utf8')]);
    return { script, style };
  } catch (err) {
    throw new Error(`the HTML report's page is not built (${(err as Error).message}); run npm run build`);
  }
}
