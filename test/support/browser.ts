/**
 * Headless Chromium for the console's browser tests and benchmark: Debian's
 * `/usr/bin/chromium` driven by playwright-core (no browser download). Every page
 * records what the browser's console and the page itself reported as errors, so a test
 * can assert there were none.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.DUBEGRID_CHROMIUM ?? '/usr/bin/chromium';

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors and uncaught page errors, in order. */
  readonly errors: string[];
  /** Requests that left 127.0.0.1 (the console must load nothing from elsewhere). */
  readonly foreign: string[];
}

export async function openPage(browser: Browser, viewport: { width: number; height: number }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !['data:', 'blob:'].includes(url.protocol))
      foreign.push(r.url());
  });
  return { page, errors, foreign };
}

/** The tallest screenshot: a long list shows its head, which is what a reader of the docs needs. */
const MAX_SHOT_HEIGHT = 1_400;

/** Saves a screenshot of the page (up to MAX_SHOT_HEIGHT tall) as `<dir>/<name>.png` when `dir` is set (DUBEGRID_SCREENSHOTS). */
export async function screenshot(page: Page, name: string, dir = process.env.DUBEGRID_SCREENSHOTS): Promise<void> {
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  const { width, height } = (await page.evaluate(
    '({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })',
  )) as { width: number; height: number };
  await page.screenshot({
    path: join(dir, `${name}.png`),
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, MAX_SHOT_HEIGHT) },
  });
}
