/**
 * The stale_feed watchdog's I/O around its pure core (`stale-feed.ts`):
 *
 * - `advanceFeeds`: after each batch, every asset's feed moves on with the batch's
 *   reading times (a silence the batch itself shows is opened and closed at once),
 *   then the batch's shard raises its watermark. Feeds first, shard after: once a
 *   shard's watermark says "applied up to t", its feeds already know everything to t.
 * - `evaluateStale`: the low watermark over the shards (idle ones left out); every
 *   feed due by then is opened. Run by the consumer after each batch (so a silence
 *   inside a file ingested at once is found as it would be live) and on a schedule
 *   (so an idle shard's exclusion takes effect while the stream is quiet).
 *
 * Notifications are stored by the alert store's conditional puts, under deterministic
 * ids, and published through the outbox like every other rule's; no other rule's window
 * is read or written.
 */
import type { ReadingEvent } from '../../shared/event.ts';
import { notificationOf, type WindowSubject } from './alerts.ts';
import type { RulesConfig } from './rules/config.ts';
import { advanceFeed, dueOf, FEED_SUBJECT, judgeable, lowWatermark, openDue, type FeedState } from './stale-feed.ts';
import type { AlertArchive } from './archive.ts';
import { publishAll, type PublishOutcome } from './outbox.ts';
import type { AlertPublisher } from './publisher.ts';
import type { AlertStore, StoredNotification } from './store/alert-store.ts';
import type { FeedStore } from './store/feed-store.ts';

export interface WatchdogDeps {
  readonly feeds: FeedStore;
  readonly alerts: AlertStore;
  readonly config: RulesConfig;
  /** Wall clock, epoch ms: decides only when a shard counts as idle. */
  readonly now: () => number;
}

const subjectOf = (f: Pick<FeedState, 'asset_id' | 'substation_id'>): WindowSubject => ({
  assetId: f.asset_id,
  substationId: f.substation_id,
  subject: FEED_SUBJECT,
});

/** A feed's place in the due index: none once it is opened or while its interval is unknown. */
const dueIndex = (f: FeedState, c: RulesConfig['stale_feed']): number | undefined =>
  f.opened === f.last ? undefined : dueOf(f, c);

/**
 * Moves the batch's feeds on and raises its shard's watermark; returns the notifications
 * newly stored. `registryMs` gives an asset's registry interval (ms), if any.
 */
export async function advanceFeeds(
  shardId: string,
  records: readonly { readonly partitionKey: string; readonly events: readonly ReadingEvent[] }[],
  deps: WatchdogDeps,
  registryMs: (assetId: string) => number | undefined = () => undefined,
): Promise<StoredNotification[]> {
  if (!deps.config.stale_feed.enabled) return [];
  const byAsset = new Map<string, { substation_id: string; key: string; times: number[] }>();
  const wms = new Map<string, number>();
  for (const r of records)
    for (const e of r.events) {
      const t = Date.parse(e.ts);
      wms.set(r.partitionKey, Math.max(wms.get(r.partitionKey) ?? t, t));
      const a = byAsset.get(e.asset_id) ?? { substation_id: e.substation_id, key: r.partitionKey, times: [] };
      a.times.push(t);
      byAsset.set(e.asset_id, a);
    }
  const loaded = await deps.feeds.getMany([...byAsset.keys()]);
  const stored: StoredNotification[] = [];
  for (const [assetId, a] of byAsset) {
    const { feed: prev, version } = loaded.get(assetId) ?? { feed: undefined, version: 0 };
    const step = advanceFeed(
      prev,
      { asset_id: assetId, substation_id: a.substation_id, registry_ms: registryMs(assetId), key: a.key },
      a.times,
      deps.config.stale_feed,
    );
    if (!step.changed) continue;
    for (const tr of step.transitions) {
      const n = await deps.alerts.record(notificationOf(subjectOf(step.feed), tr), FEED_SUBJECT);
      if (n) stored.push(n);
    }
    await deps.feeds.save(step.feed, version, dueIndex(step.feed, deps.config.stale_feed));
  }
  if (wms.size) await deps.feeds.markShard(shardId, wms, deps.now());
  return stored;
}

export interface Evaluation {
  /** Undefined when no shard is active (nothing is judged then). */
  readonly low_watermark: number | undefined;
  readonly opened: number;
  readonly stored: readonly StoredNotification[];
}

/** Opens every feed the low watermark has passed; returns the notifications newly stored. */
export async function evaluateStale(deps: WatchdogDeps): Promise<Evaluation> {
  const c = deps.config.stale_feed;
  if (!c.enabled) return { low_watermark: undefined, opened: 0, stored: [] };
  const shards = await deps.feeds.shards();
  const low = lowWatermark(shards, deps.now(), c);
  if (low === undefined) return { low_watermark: undefined, opened: 0, stored: [] };
  const stored: StoredNotification[] = [];
  let opened = 0;
  for (const { feed, version } of await deps.feeds.dueBy(low)) {
    if (!judgeable(feed, shards)) continue;
    const tr = openDue(feed, low, c);
    if (!tr) continue;
    const n = await deps.alerts.record(notificationOf(subjectOf(feed), tr), FEED_SUBJECT);
    if (n) stored.push(n);
    opened++;
    try {
      await deps.feeds.save({ ...feed, opened: feed.last }, version, undefined);
    } catch (err) {
      // The feed's consumer moved it on meanwhile: it has the resumed reading, which closes the incident.
      if ((err as Error).name !== 'WindowConflictError') throw err;
    }
  }
  return { low_watermark: low, opened, stored };
}

/** One scheduled run: evaluate, then publish what it stored (what fails stays in the outbox for the sweeper). */
export async function watchdogTick(
  deps: WatchdogDeps & { readonly publisher: AlertPublisher; readonly archive: AlertArchive },
): Promise<Evaluation & { readonly publish: PublishOutcome }> {
  const evaluation = await evaluateStale(deps);
  const publish = await publishAll(evaluation.stored, deps.publisher, deps.alerts, deps.archive);
  return { ...evaluation, publish };
}
