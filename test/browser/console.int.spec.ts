/**
 * The console in headless Chromium against `npm start` as a user runs it (one stack for
 * the file): sign in with the printed link, the overview, an asset's charts, an alert
 * arriving live, and no console errors or foreign requests on any page.
 * DUBEGRID_SCREENSHOTS=<dir> also saves every page at 1280×800 and 390 px;
 * DUBEGRID_BROWSER_SAMPLE=<substations>x<days> runs on a bigger sample (default 1x1), e.g. 3x7 for docs/img/.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, screenshot, VIEWPORTS, type WatchedPage } from '../support/browser.ts';
import { runCli } from '../support/cli.ts';
import { startConsoleRun, type ConsoleRun } from '../support/console-run.ts';

// The browser's globals, as the functions this file evaluates in the page use them (the file is type-checked for Node).
declare const window: { innerWidth: number; location: { hash: string }; notReloaded?: boolean };
declare const document: { documentElement: { scrollWidth: number } };
declare const sessionStorage: { getItem(key: string): string | null };
interface Canvas {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

const SAMPLE = process.env.DUBEGRID_BROWSER_SAMPLE;
const [SUBSTATIONS = 1, DAYS = 1] = (SAMPLE ?? '1x1').split('x').map(Number);
/** The default sample is up in about a minute; a bigger one is given as long as it needs. */
const START_MS = SAMPLE ? 30 * 60_000 : 180_000;

let run: ConsoleRun;
let browser: Browser;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  [run, browser] = await Promise.all([
    startConsoleRun({ substations: SUBSTATIONS, days: DAYS, timeoutMs: START_MS }),
    launchBrowser(),
  ]);
}, START_MS + 60_000);

afterAll(async () => {
  await browser?.close();
  await run?.stop();
});

async function signedIn(viewport: { width: number; height: number } = VIEWPORTS.desktop): Promise<WatchedPage> {
  const w = await openPage(browser, viewport);
  pages.push(w);
  await w.page.goto(run.signInUrl);
  await w.page.waitForSelector('tr[data-asset]');
  return w;
}

async function go(page: Page, hash: string, ready: string): Promise<void> {
  await page.evaluate((h) => void (window.location.hash = h), hash);
  await page.waitForSelector(ready);
}

/** How many pixels of a canvas are neither blank nor white: a drawn chart has many. */
function inkOf(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (canvases) =>
    (canvases as unknown as Canvas[]).map((c) => {
      const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let ink = 0;
      for (let i = 0; i < d.length; i += 4)
        if ((d[i + 3] ?? 0) > 0 && ((d[i] ?? 255) < 200 || (d[i + 2] ?? 255) < 200)) ink++;
      return ink;
    }),
  );
}

describe('the console in a browser', () => {
  it('signs in with the link `npm start` printed, and takes the token out of the address bar', async () => {
    const { page } = await signedIn();
    expect(page.url()).not.toContain(run.token);
    expect(page.url()).toMatch(/#\/$/);
    expect(await page.evaluate(() => sessionStorage.getItem('dubegrid.token'))).toBe(run.token);
  });

  it('without a token it asks for one, refuses a wrong one and accepts the right one', async () => {
    const w = await openPage(browser, VIEWPORTS.desktop);
    pages.push(w);
    const { page } = w;
    await page.goto(`${run.origin}/`);
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('form.signin .error');
    await page.fill('input[name=token]', run.token);
    await page.click('form.signin button[type=submit]');
    await page.waitForSelector('tr[data-asset]');
    // the wrong token's 401 is an expected network error, not a console fault
    w.errors.splice(0, w.errors.length, ...w.errors.filter((e) => !/401/.test(e)));
  });

  it("the overview lists the sample's assets: every substation and feeder of its registry", async () => {
    const { page } = await signedIn();
    const shown = await page.$$eval('tr[data-asset]', (rows) => rows.map((r) => r.getAttribute('data-asset')));
    const expected = new Set(run.registry.flatMap((r) => [r.substation, `${r.substation}:${r.feeder}`]));
    expect(shown.filter((a) => a !== null && expected.has(a)).sort()).toEqual([...expected].sort());
    await screenshot(page, 'console-overview');
  });

  it('an asset page draws its charts with data: load against rating, phase voltages, phase currents', async () => {
    const { page } = await signedIn();
    const { substation, feeder } = run.registry[0] ?? { substation: '', feeder: '' };
    await go(page, `#/assets/${encodeURIComponent(`${substation}:${feeder}`)}?range=day`, 'figure.chart canvas');
    const charts = await page.$$eval('figure.chart', (fs) =>
      fs.map((f) => ({ title: f.getAttribute('data-chart'), points: Number(f.getAttribute('data-points')) })),
    );
    expect(charts.map((c) => c.title)).toEqual([
      'Load against rating (most loaded phase)',
      'Phase voltages',
      'Phase currents',
    ]);
    for (const c of charts) expect(c.points, c.title ?? '').toBeGreaterThan(100);
    for (const ink of await inkOf(page, 'figure.chart canvas')) expect(ink).toBeGreaterThan(2_000);
    await screenshot(page, 'console-asset');
  });

  it('the map and the report render; every page is readable at phone width', async () => {
    const { page } = await signedIn();
    await go(page, '#/map', 'circle.site');
    expect(await page.locator('circle.site').count()).toBe(new Set(run.registry.map((r) => r.substation)).size);
    await screenshot(page, 'console-map');
    await go(page, '#/report', 'table.report tbody tr');
    await screenshot(page, 'console-report');
    const phone = await signedIn(VIEWPORTS.phone);
    await screenshot(phone.page, 'console-overview-phone');
    const { substation, feeder } = run.registry[0] ?? { substation: '', feeder: '' };
    await go(phone.page, `#/assets/${encodeURIComponent(`${substation}:${feeder}`)}?range=day`, 'figure.chart canvas');
    // nothing wider than the screen but what scrolls inside its card
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone.page, 'console-asset-phone');
    for (const [name, hash, ready] of [
      ['map', '#/map', 'circle.site'],
      ['alerts', '#/alerts', '.timeline li'],
      ['report', '#/report', 'table.report'],
    ] as const) {
      await go(phone.page, hash, ready);
      await screenshot(phone.page, `console-${name}-phone`);
    }
  });

  it('an alert appears live, with no reload, after a file with an anomaly is ingested', async () => {
    const { page } = await signedIn();
    await go(page, '#/alerts', '.timeline');
    await page.waitForSelector('#live[data-state=live]');
    await page.evaluate(() => void (window.notReloaded = true));
    const { substation, feeder } = run.registry[0] ?? { substation: '', feeder: '' };
    const file = join(run.dataDir, 'outage.csv');
    await writeFile(
      file,
      'Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value\n' +
        `${substation},,2026-01-01T00:00:00Z,feeder,${feeder},L1 Voltage,V,0.0\n`,
    );
    const ingest = await runCli(['ingest', file, '--data-dir', run.dataDir]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const live = page.locator(`li.live-alert[data-asset="${substation}:${feeder}"]`, { hasText: 'loss_of_supply' });
    await live.first().waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    await screenshot(page, 'console-alerts');
  });

  it('no page logged a console error or loaded anything from outside 127.0.0.1', () => {
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.flatMap((p) => p.errors)).toEqual([]);
    expect(pages.flatMap((p) => p.foreign)).toEqual([]);
  });
});
