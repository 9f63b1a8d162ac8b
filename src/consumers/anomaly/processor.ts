/**
 * One batch of the anomaly consumer (decoded by the consumer kit), I/O at the edges of
 * the pure core: bounds → plan per window → read windows and registry entries → apply (pure) →
 * per window: record its notifications (idempotent), then write its new state
 * (versioned) → publish what was newly stored.
 *
 * A window whose writes fail fails the batch from the first record that fed it;
 * records before that are fully applied. Later records' windows may have been
 * written too: their redelivery is recognised reading by reading (event ids) and
 * changes nothing.
 */
import type { DecodedRecord } from '../kit/decode.ts';
import { notificationOf } from './alerts.ts';
import type { AlertArchive } from './archive.ts';
import type { AssetLookup } from './asset-lookup.ts';
import { publishAll } from './outbox.ts';
import { evaluatorFor, planBatch, rejectOutOfBounds } from './plan.ts';
import type { AlertPublisher } from './publisher.ts';
import { horizonMs, type RulesConfig } from './rules/config.ts';
import type { AssetInfo } from './rules/types.ts';
import type { AlertStore, StoredNotification } from './store/alert-store.ts';
import type { LoadedWindow, WindowStore } from './store/window-store.ts';
import { applyReadings, type Outcome } from './window.ts';
import type { FeedStore } from './store/feed-store.ts';
import { advanceFeeds, evaluateStale } from './watchdog.ts';
import { inPool } from '../../shared/concurrency.ts';
import type { HandlerLog } from '../../shared/telemetry.ts';
import type { UnitRegistry } from '../../shared/units.ts';

export interface AnomalyDeps {
  readonly windows: WindowStore;
  readonly alerts: AlertStore;
  readonly assets: AssetLookup;
  readonly publisher: AlertPublisher;
  /** Where every published notification's row goes (the alert lake). */
  readonly archive: AlertArchive;
  readonly config: RulesConfig;
  /** The units the batch was decoded with: their bounds drive `negative_value`. @default the built-in units */
  readonly units?: UnitRegistry | undefined;
  /** Where unusable readings go (S3 `quarantine/` in the handler). */
  readonly quarantine?: (record: DecodedRecord) => Promise<unknown>;
  readonly log?: HandlerLog | undefined;
  /** Windows worked on at once. */
  readonly concurrency?: number;
  /** The stale_feed watchdog's state (feeds, shard watermarks); without it the rule does not run. */
  readonly feeds?: FeedStore | undefined;
  /** Wall clock, epoch ms (when a shard counts as idle). @default Date.now */
  readonly now?: (() => number) | undefined;
}

export interface BatchStats {
  records: number;
  readings: number;
  applied: number;
  corrected: number;
  duplicates: number;
  late: number;
  rejected: number;
  windows_written: number;
  notifications_stored: number;
  notifications_published: number;
  publish_failures: number;
}

export interface BatchReport {
  /** The first record not fully applied, and why; undefined when all were. */
  readonly firstFailed?: { readonly index: number; readonly error: Error };
  readonly stats: BatchStats;
  /** What this batch stored, in order (for tests and the benchmark). */
  readonly stored: readonly StoredNotification[];
}

const DEFAULT_CONCURRENCY = 8;

export async function processRecords(records: readonly DecodedRecord[], deps: AnomalyDeps): Promise<BatchReport> {
  const decoded = records.map((r) => rejectOutOfBounds(r, deps.units));
  const stats: BatchStats = {
    records: records.length,
    readings: 0,
    applied: 0,
    corrected: 0,
    duplicates: 0,
    late: 0,
    rejected: decoded.reduce((n, d) => n + d.rejected.length, 0),
    windows_written: 0,
    notifications_stored: 0,
    notifications_published: 0,
    publish_failures: 0,
  };
  const failures = new Map<number, Error>();
  const fail = (index: number, error: Error): void => {
    const known = failures.get(index);
    if (!known) failures.set(index, error);
  };

  const quarantined = decoded.filter((d) => d.rejected.length > 0);
  const quarantining = Promise.all(
    quarantined.map((d) =>
      (deps.quarantine?.(d) ?? Promise.resolve()).catch((err: Error) =>
        fail(d.index, new Error(`quarantining record ${d.sequenceNumber} failed: ${err.message}`, { cause: err })),
      ),
    ),
  );

  const plan = planBatch(decoded);
  stats.readings = plan.readings;
  const works = [...plan.windows.values()];
  let loaded: Map<string, LoadedWindow>;
  let assets: Map<string, AssetInfo | undefined>;
  try {
    [loaded, assets] = await Promise.all([
      deps.windows.getMany(works.map((w) => w.id)),
      deps.assets.getMany(plan.assets),
    ]);
  } catch (err) {
    // Nothing can be judged without state: the whole batch is retried.
    await quarantining;
    return { firstFailed: { index: 0, error: err as Error }, stats, stored: [] };
  }

  const storedByWindow: StoredNotification[][] = [];
  await inPool(works, deps.concurrency ?? DEFAULT_CONCURRENCY, async (work, k) => {
    const window = loaded.get(work.id) as LoadedWindow;
    const result = applyReadings(
      window.data,
      work.incoming,
      evaluatorFor(work, (id) => assets.get(id), deps.config, deps.units),
      horizonMs(deps.config),
    );
    // A phase current is in two windows; its series window speaks for it.
    if (work.kind === 'series') count(stats, result.outcomes);
    if (!result.changed) return;
    // What is stored is published even if the window write then fails: its retry finds it stored.
    const stored: StoredNotification[] = (storedByWindow[k] = []);
    try {
      for (const tr of result.transitions) {
        const n = await deps.alerts.record(notificationOf(work.subject, tr), work.subject.subject);
        if (n) stored.push(n);
      }
      stats.notifications_stored += stored.length;
      await deps.windows.save(work.id, work.meta, result.data, window.version);
      stats.windows_written++;
    } catch (err) {
      fail(Math.min(...work.records), err as Error);
    }
  });
  if (deps.feeds) {
    // stale_feed: the batch's feeds and shard watermark, then the low watermark's verdicts (watchdog.ts)
    const watchdog = { feeds: deps.feeds, alerts: deps.alerts, config: deps.config, now: deps.now ?? Date.now };
    const withEvents = decoded.find((d) => d.events.length > 0);
    try {
      if (withEvents) {
        storedByWindow.push(
          await advanceFeeds(withEvents.shardId, decoded, watchdog, (id) => assets.get(id)?.intervalMs),
        );
        storedByWindow.push([...(await evaluateStale(watchdog)).stored]);
      }
    } catch (err) {
      fail(withEvents?.index ?? 0, err as Error);
    }
  }
  await quarantining;

  const stored = storedByWindow.flat();
  if (stored.length) {
    const outcome = await publishAll(stored, deps.publisher, deps.alerts, deps.archive);
    stats.notifications_published = outcome.published;
    stats.publish_failures = outcome.failed;
    // Still in the outbox: the sweeper publishes them; the batch itself is applied.
    if (outcome.failed)
      deps.log?.warn(`anomaly: ${outcome.failed} notification(s) left for the outbox sweeper: ${outcome.errors[0]}`);
  }
  const firstIndex = failures.size ? Math.min(...failures.keys()) : undefined;
  const firstFailed =
    firstIndex === undefined ? undefined : { index: firstIndex, error: failures.get(firstIndex) as Error };
  if (firstFailed)
    deps.log?.warn(
      `anomaly: batch of ${records.length} record(s) failed from record ${firstFailed.index}: ${firstFailed.error.message}`,
    );
  return { ...(firstFailed ? { firstFailed } : {}), stats, stored };
}

function count(stats: BatchStats, outcomes: readonly Outcome[]): void {
  for (const o of outcomes) {
    if (o === 'applied') stats.applied++;
    else if (o === 'corrected') stats.corrected++;
    else if (o === 'duplicate') stats.duplicates++;
    else stats.late++;
  }
}
