// `asyncdebug report --html` and `ci --html` on a real run: the fixture app (a timer that blocks, a sync
// read, a request handler that blocks, an unawaited promise, a named worker that blocks) runs under the
// agent in debug mode; the page made from its reports is opened in a real browser (Chromium, headless)
// and clicked like a person would. Also: the run's health lines, and a report whose strings try to
// become markup.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, latest, markerLine, ROOT, runNode, tempDir, type Line, type RunResult } from '../helpers.js';
import { isHealthLine } from '../../src/health-record.js';
import { modelOf } from '../unit/html/page-data.js';
import { browserMissing, openBrowser, openReport, type OpenedPage } from './browser.js';
import { runCli } from './cli-helpers.js';

const APP = fixture('html-report-app.mjs');
const APP_REL = 'test/fixtures/html-report-app.mjs';
const missing = browserMissing();
if (missing) console.log(`browser tests skipped: ${missing}`);

let run: RunResult;
let html: string;
let browser: BrowserContext | null = null;

beforeAll(async () => {
  run = await runNode(APP, { env: { ASYNC_DEBUG: '1' }, timeoutMs: 30_000 });
  html = join(tempDir(), 'report.html');
  const r = await runCli(['report', '--html', html, run.dir]);
  expect(r.code, r.stderr).toBe(0);
  // Five findings when the machine is quiet; a loaded one may miss one, and each test asks for what it needs.
  expect(r.stderr).toMatch(/wrote the HTML report .*report\.html \(\d+ kB, \d+ findings?\)/);
  if (!missing) browser = await openBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('health lines of a real run', () => {
  it('each thread writes its loop health about once a second, and the table leaves them out', async () => {
    const health = run.lines.filter((l) => isHealthLine(l));
    for (const threadId of [0, 2]) {
      const mine = health.filter((l) => l.threadId === threadId);
      expect(mine.length, `thread ${threadId}`).toBeGreaterThanOrEqual(1);
      for (const h of mine) {
        expect(h).toMatchObject({ v: 1, pid: run.lines[0]!.pid, site: null, frames: [], loopDelay: { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) }, elu: expect.any(Number) });
        expect(h.message).toMatch(/^(main thread|worker thread 2 "resizer"): loop delay p50 /);
      }
    }
    expect(new Set(health.map((h) => h.id)).size).toBe(health.length);
    // The windows that held a block say so (the main thread's two blocks fall in different windows; a
    // hub tick late on a loaded machine can miss one window, never both): max reaches a block's length.
    const durations = latest(run.lines).filter((l: Line) => l.kind === 'block' && l.threadId === 0).map((l) => l.durationMs as number);
    expect(durations.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...health.filter((h) => h.threadId === 0).map((h) => (h.loopDelay as { max: number }).max))).toBeGreaterThanOrEqual(Math.min(...durations) - 25);
    const table = await runCli(['report', run.dir]);
    expect(table.stdout).not.toMatch(/health/);
    expect(table.stdout).toMatch(/block +test\/fixtures\/html-report-app\.mjs:\d+ slowHash/);
  });
});

describe.skipIf(missing !== null)('the HTML report in a browser', () => {
  let opened: OpenedPage;
  beforeAll(async () => {
    opened = await openReport(browser!, html);
  }, 30_000);

  it('is one file that loads nothing: no request but its own, no console error', () => {
    expect(opened.requests).toEqual([`file://${html}`]);
    expect(opened.errors).toEqual([]);
    expect(opened.console.filter((m) => m.type === 'error' || m.type === 'warning')).toEqual([]);
    expect(statSync(html).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('draws a timeline per thread, with the health lines and every block marked', async () => {
    const drawn = await opened.page.evaluate(() => {
      const r = (window as unknown as { asyncdebugReport: any }).asyncdebugReport;
      return r.timelines.charts.map((c: any) => {
        const u = c.plot;
        const t = r.model.threads[c.thread];
        const strips = r.model.marks
          .filter((m: any) => m.kind === 'block' && m.thread === c.thread)
          .map((m: any) => Array.from(u.ctx.getImageData(Math.round(u.valToPos((m.t + m.d / 2) / 1000, 'x', true)), Math.round(u.bbox.top + u.bbox.height - 2), 1, 1).data));
        return { label: t.label, points: u.data[0].length, width: u.over.clientWidth, strips };
      });
    });
    expect(drawn.map((d: { label: string }) => d.label)).toEqual(['main thread', 'worker thread 2 "resizer"']);
    for (const d of drawn) {
      expect(d.points).toBeGreaterThanOrEqual(2);
      expect(d.width).toBeGreaterThan(300);
      // Each block's strip along the bottom of the plot, in the block colour (#dc2626).
      for (const px of d.strips) expect(px).toEqual([220, 38, 38, 255]);
    }
    // The main thread's timer block at least (the next test clicks it).
    expect(drawn[0].strips.length).toBeGreaterThanOrEqual(1);
  });

  it('a click on a block shows its site, its code frame, its profile and where its callback was scheduled', async () => {
    const { page } = opened;
    const at = await page.evaluate(() => {
      const r = (window as unknown as { asyncdebugReport: any }).asyncdebugReport;
      const index = r.model.marks.findIndex((m: any) => m.kind === 'block' && m.thread === 0 && m.facts.some((f: string[]) => f[0] === 'callback' && f[1]!.startsWith('timer')));
      const m = r.model.marks[index];
      const u = r.timelines.charts.find((c: any) => c.thread === m.thread).plot;
      u.over.scrollIntoView({ block: 'center' });
      const rect = u.over.getBoundingClientRect();
      return { index, x: rect.left + u.valToPos((m.t + m.d / 2) / 1000, 'x'), y: rect.top + rect.height / 2 };
    });
    expect(at.index).toBeGreaterThanOrEqual(0);
    await page.mouse.click(at.x, at.y);
    expect(await page.evaluate(() => (window as unknown as { asyncdebugReport: any }).asyncdebugReport.selected())).toBe(at.index);
    const detail = page.locator('.detail');
    // the column is where the spin was when read: its loop checks the CPU time it used
    await expect.poll(() => detail.locator('.site').textContent()).toMatch(new RegExp(`^slowHash ${APP_REL.replace(/\./g, '\\.')}:${markerLine(APP)}:\\d+$`));
    const line = markerLine(APP);
    const marked = await detail.locator('.code .at').textContent();
    expect(marked).toContain(`> ${line} | `);
    expect(marked).toContain(readFileSync(APP, 'utf8').split('\n')[line - 1]!.trim());
    expect(await detail.locator('.code .line').count()).toBeGreaterThanOrEqual(9);
    expect(await detail.locator('.flame-cell').allTextContents()).toEqual(expect.arrayContaining(['slowHash', 'rehash']));
    const scheduled = detail.locator('section', { hasText: 'Where the callback was scheduled' });
    expect(await scheduled.locator('li').first().textContent()).toContain(`${APP_REL}:${markerLine(APP, '@sched')}:`);
    // not every read need land on slowHash's line (on a loaded machine): the message then gives its share
    expect(await detail.locator('.message').textContent()).toMatch(/^The event loop of the main thread was blocked for \d+ ms(, \d+% of it)? at slowHash/);
  });

  it('the request a block belonged to, and the table: filtered by kind and thread, a row opens its worst finding', async () => {
    const { page } = opened;
    const table = page.locator('.sites');
    await table.locator('select[aria-label="kind"]').selectOption('sync-io');
    expect(await table.locator('tbody tr').count()).toBe(1);
    await table.locator('tbody button.link').first().click();
    const detail = page.locator('.detail');
    await expect.poll(() => detail.locator('.site').textContent()).toBe(`loadConfig ${APP_REL}:${markerLine(APP, '@sync')}:5`);
    expect(await detail.locator('.facts').textContent()).toContain('fs.readFileSync');
    expect(await detail.locator('.code .at').textContent()).toContain('readFileSync(new URL(import.meta.url));');

    await table.locator('select[aria-label="kind"]').selectOption('');
    // Each thread's filter leaves exactly the sites seen in that thread.
    const sites = await page.evaluate(() => (window as unknown as { asyncdebugReport: any }).asyncdebugReport.model.sites.map((s: any) => ({ file: s.file, threads: s.threads })));
    const threads = (await table.locator('select[aria-label="thread"] option').allTextContents()).slice(1);
    expect(threads.some((t) => t.endsWith(' main'))).toBe(true);
    for (const thread of threads) {
      await table.locator('select[aria-label="thread"]').selectOption(thread);
      expect(await table.locator('tbody tr').count(), thread).toBe(sites.filter((s: { threads: string[] }) => s.threads.includes(thread)).length);
    }
    expect(threads.length).toBeGreaterThanOrEqual(1);
    await table.locator('select[aria-label="thread"]').selectOption('');

    // The handler's block: its request.
    const index = await page.evaluate(() => (window as unknown as { asyncdebugReport: any }).asyncdebugReport.model.marks.findIndex((m: any) => m.request !== null));
    expect(index, 'a block with its request in the report').toBeGreaterThanOrEqual(0);
    await page.evaluate((i) => (window as unknown as { asyncdebugReport: any }).asyncdebugReport.select(i), index);
    expect(await detail.locator('section', { hasText: 'Request' }).first().textContent()).toBe('RequestGET /login');
  });

  it('zooms and pans every timeline together; a double-click shows the whole run again', async () => {
    const { page } = opened;
    const ranges = () => page.evaluate(() => (window as unknown as { asyncdebugReport: any }).asyncdebugReport.timelines.charts.map((c: any) => [c.plot.scales.x.min, c.plot.scales.x.max]));
    const whole = await ranges();
    const over = page.locator('.u-over').first();
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    await expect.poll(async () => (await ranges())[0][1] - (await ranges())[0][0]).toBeLessThan(whole[0][1] - whole[0][0]);
    const zoomed = await ranges();
    expect(zoomed[1]).toEqual(zoomed[0]);
    await page.locator('.toolbar button[title="later"]').click();
    const panned = await ranges();
    expect(panned[0][0]).toBeGreaterThan(zoomed[0][0]);
    expect(panned[1]).toEqual(panned[0]);
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(ranges).toEqual(whole);
  });

  it('writes the documentation\'s screenshot when asked (UPDATE_SCREENSHOTS=1)', async (ctx) => {
    if (process.env.UPDATE_SCREENSHOTS !== '1') ctx.skip();
    const { page } = opened;
    await page.evaluate(() => {
      const r = (window as unknown as { asyncdebugReport: any }).asyncdebugReport;
      r.timelines.reset();
      r.select(r.model.marks.findIndex((m: any) => m.kind === 'block' && m.thread === 0 && m.facts.some((f: string[]) => f[0] === 'callback' && f[1]!.startsWith('timer'))));
      window.scrollTo(0, 0);
    });
    await page.screenshot({ path: join(ROOT, 'docs', 'html-report.png'), fullPage: true });
  });
});

describe.skipIf(missing !== null)('a report whose strings try to become markup', () => {
  it('shows them as text: no element, no script, no request', async () => {
    const dir = tempDir();
    const evil = '</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>\u001b[31m\u202e';
    const site = { file: '/app/"><svg onload="window.__pwned=3">.js', line: 3, column: 1, function: '<img src=x onerror=window.__pwned=4>' };
    const lines = [
      { v: 1, id: 'block-0-1', kind: 'block', time: 1_795_000_000_000, pid: 99, threadId: 0, threadName: '<b>x</b>', message: evil, site, frames: [site], durationMs: 250, ongoing: false, api: '<iframe src="https://example.com">', profile: [{ site, samples: 1, share: 1 }] },
      { v: 1, id: 'summary-0', kind: 'summary', time: 1_794_999_999_000, pid: 99, threadId: 0, message: evil, site: null, frames: [], loopDelay: { p50: 1, p99: 250, max: 250 }, elu: 0.5, counts: {}, startupBlockMs: 0, mode: 'default', unnamedBlocks: 0, unnamedBlockMs: 0, exitIdleMs: 0 },
    ];
    writeFileSync(join(dir, 'asyncdebug-99.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const out = join(dir, 'evil.html');
    expect((await runCli(['report', '--html', out, dir])).code).toBe(0);
    const source = readFileSync(out, 'utf8');
    expect(source).not.toContain('<img');
    expect(source).not.toContain('__pwned');
    expect(modelOf(source).marks[0]!.message).toBe('</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>[31m');

    const opened = await openReport(browser!, out);
    const { page } = opened;
    await page.locator('.sites tbody button.link').first().click();
    await expect.poll(() => page.locator('.detail .message').textContent()).toBe('</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>[31m');
    const found = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      images: document.images.length,
      scripts: document.scripts.length,
      handlers: document.querySelectorAll('[onerror], [onload], iframe, svg, b').length,
      site: document.querySelector('.detail .site')?.textContent,
    }));
    expect(found).toEqual({ pwned: null, images: 0, scripts: 2, handlers: 0, site: '<img src=x onerror=window.__pwned=4> /app/"><svg onload="window.__pwned=3">.js:3:1' });
    expect(opened.requests).toEqual([`file://${out}`]);
    expect(opened.errors).toEqual([]);
    await opened.close();
  });
});

describe('asyncdebug ci --html', () => {
  it('writes the page as a build artifact next to the gate', async () => {
    const dir = tempDir();
    const out = join(dir, 'ci.html');
    const r = await runCli(['ci', '--html', out, '--', process.execPath, 'test/fixtures/cli/apps/worker-block.mjs'], { timeoutMs: 30_000 });
    expect(r.stderr).toContain(`wrote the HTML report ${out}`);
    const model = modelOf(readFileSync(out, 'utf8'));
    expect(model.command).toBe(`${process.execPath} test/fixtures/cli/apps/worker-block.mjs`);
    expect(model.marks.map((m) => [m.kind, model.threads[m.thread]!.threadId > 0])).toContainEqual(['block', true]);
    expect(model.sites[0]).toMatchObject({ kind: 'block', file: 'test/fixtures/cli/apps/worker-block.mjs', fn: 'workerSpin' });
  });

  it('a path it may not write is one line, and the gate goes on', async () => {
    const dir = tempDir();
    const r = await runCli(['ci', '--budget', 'block=5', '--html', dir, '--', process.execPath, '-e', '0'], { timeoutMs: 30_000 });
    expect(r.stderr).toMatch(/asyncdebug: cannot write .*: EISDIR/);
    expect(r.stderr).toContain('asyncdebug ci: passed');
    expect(r.code).toBe(0);
  });
});
