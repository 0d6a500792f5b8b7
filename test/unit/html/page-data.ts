// Reads back the model a page embeds (src/html/render-html.ts: gzipped JSON in base64).
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import type { ReportModel } from '../../../src/html/model.js';

export function modelOf(html: string): ReportModel {
  const data = /<script type="application\/octet-stream" id="asyncdebug-data" data-encoding="gzip\+base64">([A-Za-z0-9+/=]*)<\/script>/.exec(html);
  expect(data).not.toBeNull();
  return JSON.parse(gunzipSync(Buffer.from(data![1]!, 'base64')).toString('utf8')) as ReportModel;
}
