/**
 * `npm run bench -- console`: how fast the console shows data in headless Chromium, on
 * `npm start`'s stack with its sample (the real `dubegrid start`, the real API, the
 * built console). Two figures, each from a fresh browser context (empty cache) per run:
 * - overview: navigation start → the asset table painted with data;
 * - asset: navigation start → an asset page's charts painted (a month of a feeder's
 *   phase currents and voltages, downsampled by the API to the chart's width).
 * Both are read from the page's own `dubegrid:*` performance marks. Side by side, the
 * same API calls the page makes are timed from Node (fetch with the token, the same
 * concurrency), so the ratio is what the browser adds on top of the data: loading and
 * parsing the bundle, rendering, drawing. Target: the page at most 3× its API calls.
 */
import { launchBrowser, VIEWPORTS } from '../../test/support/browser.ts';
import { startConsoleRun } from '../../test/support/console-run.ts';
import { atMost, round, type Benchmark, type BenchResult } from '../types.ts';
import { RANGE_DAYS, rangeEnding } from '../../src/console/app/series.ts';

const TARGET_RATIO = 3;
const DEFAULTS = { substations: 3, days: 7, runs: 7 } as const;
const MEASUREMENTS = ['l1_current', 'l2_current', 'l3_current', 'l1_voltage', 'l2_voltage', 'l3_voltage'];

export const consoleBenchmark: Benchmark = {
  name: 'console',
  description:
    "ms to the overview's first render with data and to an asset page's charts (headless Chromium), vs the same API calls from Node, target ratio <= 3",
  flags: {
    substations: `substations of the sample (default ${DEFAULTS.substations})`,
    days: `days of the sample (default ${DEFAULTS.days})`,
    runs: `page loads per figure (default ${DEFAULTS.runs}; --runs=N)`,
  },
  async run(flags) {
    const num = (k: keyof typeof DEFAULTS): number => Number(flags[k] ?? DEFAULTS[k]);
    const run = await startConsoleRun({ substations: num('substations'), days: num('days'), timeoutMs: 60 * 60_000 });
    try {
      const first = run.registry[0];
      if (!first) throw new Error('the sample has no assets');
      return await measureConsole(run, `${first.substation}:${first.feeder}`, num('runs'), {
        substations: num('substations'),
        days: num('days'),
      });
    } finally {
      await run.stop();
    }
  },
};

/** A served console and its token: `npm start`'s, or a benchmark's own stack's. */
export interface ConsoleSite {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly token: string;
}

/**
 * The two first-render figures on a served console, `runs` page loads each, with the same
 * API calls timed from Node side by side (also used by `npm run bench -- api` on its dataset).
 */
export async function measureConsole(
  site: ConsoleSite,
  assetId: string,
  runs: number,
  extra: Record<string, number | string>,
): Promise<BenchResult[]> {
  const browser = await launchBrowser();
  try {
    const overview: number[] = [];
    const asset: number[] = [];
    const overviewApi: number[] = [];
    const assetApi: number[] = [];
    const range = await monthEndingAtNewest(site, assetId);
    for (let i = 0; i < runs; i++) {
      overview.push(await pageMark(site, browser, '/#/', 'overview'));
      overviewApi.push(await timed(() => get(site, '/api/assets')));
      asset.push(await pageMark(site, browser, `/#/assets/${encodeURIComponent(assetId)}?range=month`, 'asset-charts'));
      assetApi.push(
        await timed(async () => {
          await get(site, '/api/assets');
          // as the page asks (pages/asset.ts): one series call for all its measurements, beside the alerts
          await Promise.all([
            get(site, `/api/alerts?asset=${encodeURIComponent(assetId)}&since=${range.from}&until=${range.to}`),
            get(
              site,
              `/api/assets/${encodeURIComponent(assetId)}/series?measurement=${MEASUREMENTS.join(',')}&from=${range.from}&to=${range.to}&max_points=1200`,
            ),
          ]);
        }),
      );
    }
    const figures = {
      overview_p50_ms: p(overview, 0.5),
      overview_p95_ms: p(overview, 0.95),
      overview_api_p50_ms: p(overviewApi, 0.5),
      asset_p50_ms: p(asset, 0.5),
      asset_p95_ms: p(asset, 0.95),
      asset_api_p50_ms: p(assetApi, 0.5),
      asset: assetId,
      runs,
      ...extra,
    };
    return [
      atMost('console overview', p(overview, 0.5) / p(overviewApi, 0.5), TARGET_RATIO, figures),
      atMost('console asset charts', p(asset, 0.5) / p(assetApi, 0.5), TARGET_RATIO, figures),
    ];
  } finally {
    await browser.close();
  }
}

type Browser = Awaited<ReturnType<typeof launchBrowser>>;
/** The page's session storage, as the init script below uses it (this file is type-checked for Node). */
declare const sessionStorage: { setItem(key: string, value: string): void };

/** A fresh context (empty cache), signed in, navigated to `path`; the mark's time from navigation start. */
async function pageMark(site: ConsoleSite, browser: Browser, path: string, mark: string): Promise<number> {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  try {
    await context.addInitScript((token) => sessionStorage.setItem('dubegrid.token', token), site.token);
    const page = await context.newPage();
    await page.goto(`${site.origin}${path}`);
    const handle = await page.waitForFunction(
      (name) => performance.getEntriesByName(name)[0]?.startTime,
      `dubegrid:${mark}`,
      { timeout: 120_000 },
    );
    return round(Number(await handle.jsonValue()), 1);
  } finally {
    await context.close();
  }
}

async function get(site: ConsoleSite, path: string): Promise<unknown> {
  const res = await fetch(`${site.origin}${path}`, { headers: { Authorization: `Bearer ${site.token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return round(performance.now() - t, 1);
}

/** The asset page's month: 31 days back from the asset's newest reading, as the page asks. */
/** The month the asset page shows for `?range=month`, by the page's own rule (`rangeEnding` on the asset's newest reading). */
async function monthEndingAtNewest(site: ConsoleSite, assetId: string): Promise<{ from: string; to: string }> {
  const { assets } = (await get(site, '/api/assets')) as {
    assets: { asset_id: string; newest_reading: string | null }[];
  };
  const newest = assets.find((a) => a.asset_id === assetId)?.newest_reading;
  if (!newest) throw new Error(`${assetId} has no newest reading: its month would be empty`);
  return rangeEnding(newest, RANGE_DAYS.month);
}

function p(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
}
