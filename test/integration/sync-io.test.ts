import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, fixture, latest, markerLine, runNode, type Line } from '../helpers.js';

function syncSites(lines: Line[]): Line[] {
  return latest(lines).filter((l) => l.kind === 'sync-io');
}

function siteOf(lines: Line[], api: string, file: string, marker: string): Line {
  const line = markerLine(file, marker);
  const found = syncSites(lines).find((l) => l.api === api && l.site?.file === file && l.site.line === line);
  expect(found, `${api} at ${file}:${line} in ${JSON.stringify(syncSites(lines).map((l) => [l.api, l.site?.line]))}`).toBeDefined();
  return found!;
}

describe('sync I/O after start-up', () => {
  it('is seen through ESM named, namespace and default imports; start-up reads are not findings', async () => {
    const file = fixture('sync-esm.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    expect(siteOf(run.lines, 'fs.readFileSync', file, '@named').count).toBe(5);
    expect(siteOf(run.lines, 'fs.statSync', file, '@namespace').count).toBe(5);
    expect(siteOf(run.lines, 'fs.existsSync', file, '@default').count).toBe(5);
    expect(siteOf(run.lines, 'child_process.execSync', file, '@exec').count).toBe(1);
    const pbkdf2 = siteOf(run.lines, 'crypto.pbkdf2Sync', file, '@pbkdf2');
    expect(pbkdf2.durationMs as number).toBeGreaterThan(0);
    siteOf(run.lines, 'zlib.gzipSync', file, '@gzip');
    // the top-level read (line 9) is start-up
    expect(syncSites(run.lines).filter((l) => l.site?.line === 9)).toEqual([]);
    const summary = run.lines.find((l) => l.kind === 'summary')!;
    expect((summary.counts as Record<string, number>)['sync-io']).toBe(18);
    // one line per site, written when found and again as its count grows (same id)
    const first = run.lines.find((l) => l.kind === 'sync-io')!;
    expect(first.count).toBe(1);
    expect(first.v).toBe(1);
  });

  it('is seen through CJS destructuring; a lazy require inside a callback is the loader, not the app', async () => {
    const file = fixture('sync-cjs.cjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    expect(siteOf(run.lines, 'fs.readFileSync', file, '@cjs-read').count).toBe(3);
    siteOf(run.lines, 'fs.statSync', file, '@cjs-stat');
    expect(syncSites(run.lines)).toHaveLength(2);
  });

  it('a read per request is reported at the handler line; the console shows one line per site', async () => {
    const file = fixture('sync-server.mjs');
    const run = await runNode(file, { env: { ASYNC_DEBUG_REPORTERS: 'console,json' } });
    expect(run.code).toBe(0);
    expect(siteOf(run.lines, 'fs.readFileSync', file, '@request-read').count).toBe(2);
    // the allowSync() call and the start-up read are not findings
    expect(syncSites(run.lines)).toHaveLength(1);
    // (a block on a loaded machine may name the API in its own line: only the sync-I/O lines count here)
    const consoleLines = run.stderr.split('\n').filter((l) => l.startsWith('asyncdebug fs.readFileSync'));
    expect(consoleLines).toHaveLength(2); // when first seen, and the count at exit
    expect(consoleLines[1]).toMatch(/fs\.readFileSync 2×, .* at test\/fixtures\/sync-server\.mjs:\d+/);
  });

  it("a library's own sync calls with no application frame on the stack are not the app's findings", async () => {
    const file = fixture('sync-library.cjs');
    const run = await runNode(file, { env: { ASYNC_DEBUG_STRICT: '1' } });
    expect(run.code, run.stderr).toBe(1); // strict: the app's own read throws, the library's do not
    expect(run.stderr).toContain('SyncIOError');
    const sites = latest(run.lines).filter((l) => l.kind === 'sync-io' || l.kind === 'atomics-wait');
    expect(sites.map((l) => `${l.api} ${l.site?.line}`)).toEqual([`fs.readFileSync ${markerLine(file, '@app-read')}`]);
  });

  it('ASYNC_DEBUG_SYNC_MIN_MS: fast calls are counted, not shown', async () => {
    const file = fixture('sync-noise.mjs');
    const run = await runNode(file, { env: { ASYNC_DEBUG_SYNC_MIN_MS: '80', ASYNC_DEBUG_REPORTERS: 'console,json' } });
    expect(run.code).toBe(0);
    expect(syncSites(run.lines).map((l) => l.api)).toEqual(['child_process.execSync']);
    expect(run.stderr).not.toContain('fs.statSync'); // (the block of execSync may show line 6 in its code frame)
    expect(run.stderr).toContain('child_process.execSync');
    const summary = run.lines.find((l) => l.kind === 'summary')!;
    expect((summary.counts as Record<string, number>)['sync-io']).toBe(201);
  });

  it('Atomics.wait on a loop thread is an atomics-wait finding with its duration', async () => {
    const file = fixture('atomics.mjs');
    const run = await runNode(file);
    expect(run.code).toBe(0);
    const found = latest(run.lines).filter((l) => l.kind === 'atomics-wait');
    expect(found).toHaveLength(1);
    expect(found[0]!.site?.line).toBe(markerLine(file, '@atomics'));
    expect(found[0]!.durationMs as number).toBeGreaterThanOrEqual(100);
  });
});

describe('strict mode (ASYNC_DEBUG_STRICT=1)', () => {
  it('throws SyncIOError in a request handler, not at start-up, and allowSync() lets code through', async () => {
    const file = fixture('sync-server.mjs');
    const run = await runNode(file, { env: { ASYNC_DEBUG_STRICT: '1' } });
    expect(run.code).toBe(0);
    const answers = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; status: number; text: string });
    expect(answers.map((a) => [a.path, a.status])).toEqual([['/a', 500], ['/b', 500], ['/trusted', 200]]);
    const line = markerLine(file, '@request-read');
    expect(answers[0]!.text).toMatch(/^SyncIOError: asyncdebug strict mode: fs\.readFileSync was called at test\/fixtures\/sync-server\.mjs:\d+/);
    expect(answers[0]!.text).toContain(`sync-server.mjs:${line}:`);
    expect(answers[0]!.text).toContain('ASYNC_DEBUG_ALLOW_SYNC');
    expect(siteOf(run.lines, 'fs.readFileSync', file, '@request-read').count).toBe(2);
  });

  it('the allow-list by API lets the call run', async () => {
    const run = await runNode(fixture('sync-server.mjs'), { env: { ASYNC_DEBUG_STRICT: '1', ASYNC_DEBUG_ALLOW_SYNC: 'fs.readFileSync' } });
    const statuses = run.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { status: number }).status);
    expect(statuses).toEqual([200, 200, 200]);
    expect(syncSites(run.lines)).toEqual([]);
  });

  it('the allow-list by file glob lets the call run', async () => {
    const run = await runNode(fixture('sync-server.mjs'), { env: { ASYNC_DEBUG_STRICT: '1', ASYNC_DEBUG_ALLOW_SYNC: 'test/fixtures/sync-*.mjs' } });
    const statuses = run.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { status: number }).status);
    expect(statuses).toEqual([200, 200, 200]);
  });
});

describe('ASYNC_DEBUG_SYNC_AFTER', () => {
  it('listening: start-up lasts until the first server listens', async () => {
    const file = fixture('sync-listening.mjs');
    const byDefault = await runNode(file);
    expect(syncSites(byDefault.lines).map((l) => l.site?.line).sort()).toEqual(
      [markerLine(file, '@before-listen'), markerLine(file, '@after-listen')].sort(),
    );
    const afterListening = await runNode(file, { env: { ASYNC_DEBUG_SYNC_AFTER: 'listening' } });
    expect(syncSites(afterListening.lines).map((l) => l.site?.line)).toEqual([markerLine(file, '@after-listen')]);
  });
});

describe('sync I/O of a module loader', () => {
  const app = fixture('sync-loader/app.cjs');
  const loader = fixture('node_modules/fake-loader/index.js');

  it("is the loader's, at its own line and in the module-load phase, not at the app's require line", async () => {
    const run = await runNode(app);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('42');
    const sites = syncSites(run.lines);
    expect(sites.filter((l) => l.site?.file === app && l.site.line === markerLine(app, '@import'))).toEqual([]);
    const byLoader = sites.filter((l) => l.site?.file === loader);
    expect(byLoader.map((l) => [l.api, l.site?.line, l.phase]).sort()).toEqual([
      ['fs.existsSync', markerLine(loader, '@loader-options'), 'module-load'],
      ['fs.readFileSync', markerLine(loader, '@loader-options'), 'module-load'],
    ]);
    expect(byLoader[0]!.message).toContain('module loader');
    // the app's own read is the app's, with no phase
    const own = siteOf(run.lines, 'fs.readFileSync', app, '@app-read');
    expect(own.phase).toBeUndefined();
  });

  it('an allow-list glob of node_modules matches it; strict mode lets the loader load', async () => {
    const allowed = await runNode(app, { env: { ASYNC_DEBUG_ALLOW_SYNC: '**/node_modules/**' } });
    expect(syncSites(allowed.lines).map((l) => l.site?.line)).toEqual([markerLine(app, '@app-read')]);
    const strict = await runNode(app, { env: { ASYNC_DEBUG_STRICT: '1' } });
    expect(strict.stdout.trim()).toBe('42'); // the require worked
    expect(strict.code).toBe(1); // the app's own read threw
    expect(strict.stderr).toContain(`SyncIOError: asyncdebug strict mode: fs.readFileSync was called at test/fixtures/sync-loader/app.cjs:${markerLine(app, '@app-read')}`);
  });
});

describe("the agent's own preload", () => {
  it('a library checking each --import path of NODE_OPTIONS with existsSync makes no finding for the agent\'s path', async () => {
    const file = fixture('sync-preload-check.cjs');
    const register = pathToFileURL(join(ROOT, 'dist', 'register.cjs')).href;
    const run = await runNode(file, { nodeArgs: [], env: { NODE_OPTIONS: `--import=${register}` } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`checked 2 paths`);
    // the library's check of the app's own path (a real file) is a finding; of the agent's two, none
    expect(syncSites(run.lines).map((l) => [l.api, l.site?.line, l.count])).toEqual([['fs.existsSync', markerLine(file, '@check'), 1]]);
  });
});
