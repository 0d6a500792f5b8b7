// A real browser for the HTML report's tests: the system's Chromium (Debian's `chromium` package;
// .ci/run installs it) driven by playwright-core, headless, with a new empty profile, never a
// downloaded browser. Every request the page makes is recorded (a report must make none but its own
// file) and so is every console message (a CSP violation is one).
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from '../helpers.js';

export const CHROMIUM = process.env.ASYNC_DEBUG_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null. In CI a missing browser is a failure, not a skip. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.env.CI) throw new Error(`no browser at ${CHROMIUM}: .ci/run installs Debian's chromium package`);
  return `no browser at ${CHROMIUM} (apt-get install chromium)`;
}

export interface OpenedPage {
  page: Page;
  requests: string[];
  console: { type: string; text: string }[];
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir('asyncdebug-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
    deviceScaleFactor: 1,
  });
}

/** Opens a report file and waits until the page says it has drawn everything. */
export async function openReport(context: BrowserContext, file: string): Promise<OpenedPage> {
  const page = await context.newPage();
  const requests: string[] = [];
  const messages: { type: string; text: string }[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => messages.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  return { page, requests, console: messages, errors, close: () => page.close() };
}
