/**
 * An asset's status, decided in this one function.
 *
 * `stale` is the `stale_feed` watchdog's verdict (`src/consumers/anomaly/stale-feed.ts`):
 * an open `stale_feed` incident of the asset. The watchdog judges each feed against its
 * own cadence and only once the network's low watermark has passed, so a substation
 * whose file is still being ingested, or a half-hourly feed among ten-minute ones, is
 * not called stale. Only where the watchdog has left no data at all (the rule disabled,
 * or a deployment without the `feeds` table) is the old guess used: the asset's newest
 * reading against the network's newest.
 */
import type { AssetStatus } from './schemas.ts';

/**
 * The fallback's threshold: an asset is stale when its newest reading is this far
 * behind the network's newest: two of the slowest cadence the sources send
 * (half-hourly smart-meter aggregates), so one late file does not flag a whole network.
 */
export const STALE_AFTER_MS = 2 * 30 * 60_000;

export interface StatusInput {
  /** Epoch ms of the asset's newest reading; undefined if it has none. */
  readonly newestMs: number | undefined;
  /** Epoch ms of the newest reading of any asset. */
  readonly networkNewestMs: number | undefined;
  /** Open incidents of every rule, `stale_feed` included. */
  readonly openIncidents: number;
  /** The asset has an open `stale_feed` incident. */
  readonly staleFeedOpen: boolean;
  /** The watchdog has data (its `feeds` table has a watermark); false: use the fallback. */
  readonly watchdog: boolean;
}

/**
 * `stale` before `alerting`: a silent feed's other incidents cannot close until it
 * reports again, and an asset whose only open incident is its `stale_feed` one would
 * otherwise read as merely alerting.
 */
export function assetStatus(input: StatusInput): AssetStatus {
  if (input.staleFeedOpen) return 'stale';
  if (input.openIncidents > 0) return 'alerting';
  if (input.newestMs === undefined) return 'unknown';
  if (!input.watchdog && input.networkNewestMs !== undefined && input.networkNewestMs - input.newestMs > STALE_AFTER_MS)
    return 'stale';
  return 'ok';
}
