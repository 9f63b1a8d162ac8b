/**
 * The rules core over a list of readings, in memory: the same planning, windows and
 * rules as the consumer, without DynamoDB or SNS. For tests and the benchmark's
 * detection figures, and to try rule settings on a file before deploying them. The
 * stale_feed watchdog runs too, with a watermark per substation (the splitter's partition
 * key) that is never idle.
 */
import type { ReadingEvent } from '../../shared/event.ts';
import type { UnitRegistry } from '../../shared/units.ts';
import type { DecodedRecord } from '../kit/decode.ts';
import { notificationOf, type NotificationRecord } from './alerts.ts';
import { evaluatorFor, planBatch } from './plan.ts';
import { horizonMs, type RulesConfig } from './rules/config.ts';
import type { AssetInfo } from './rules/types.ts';
import { applyReadings, type WindowData } from './window.ts';
import { advanceFeed, FEED_SUBJECT, openDue, type FeedState } from './stale-feed.ts';
import type { Transition } from './incidents.ts';

export interface DryRun {
  /** Applies readings as one batch; returns the notifications it produced. */
  apply(events: readonly ReadingEvent[]): NotificationRecord[];
  readonly windows: ReadonlyMap<string, WindowData>;
}

/** `units`: the declared units' bounds drive `negative_value` as in the consumer. @default the built-in units */
export function dryRun(assets: ReadonlyMap<string, AssetInfo>, config: RulesConfig, units?: UnitRegistry): DryRun {
  const windows = new Map<string, WindowData>();
  const feeds = new Map<string, FeedState>();
  // per partition key (substation), as the consumer keeps them; a dry run has no idle sources
  const wms = new Map<string, number>();
  const seen = new Set<string>();
  return {
    windows,
    apply(events) {
      const record: DecodedRecord = {
        index: 0,
        shardId: 'dry-run',
        sequenceNumber: '0',
        partitionKey: '',
        events,
        rejected: [],
      };
      const plan = planBatch([record]);
      const out: NotificationRecord[] = [];
      for (const work of plan.windows.values()) {
        const evaluator = evaluatorFor(work, (id) => assets.get(id), config, units);
        const result = applyReadings(windows.get(work.id), work.incoming, evaluator, horizonMs(config));
        if (!result.changed) continue;
        windows.set(work.id, result.data);
        for (const tr of result.transitions) {
          const n = notificationOf(work.subject, tr);
          // Stored once, as the outbox's conditional put would.
          if (seen.has(n.notification_id)) continue;
          seen.add(n.notification_id);
          out.push(n);
        }
      }
      if (config.stale_feed.enabled) {
        const emit = (f: FeedState, tr: Transition): void => {
          const n = notificationOf({ assetId: f.asset_id, substationId: f.substation_id, subject: FEED_SUBJECT }, tr);
          if (seen.has(n.notification_id)) return;
          seen.add(n.notification_id);
          out.push(n);
        };
        const byAsset = new Map<string, { substation_id: string; times: number[] }>();
        for (const e of events) {
          const t = Date.parse(e.ts);
          wms.set(e.substation_id, Math.max(wms.get(e.substation_id) ?? t, t));
          const a = byAsset.get(e.asset_id) ?? { substation_id: e.substation_id, times: [] };
          a.times.push(t);
          byAsset.set(e.asset_id, a);
        }
        for (const [assetId, a] of byAsset) {
          const step = advanceFeed(feeds.get(assetId), { asset_id: assetId, ...a }, a.times, config.stale_feed);
          feeds.set(assetId, step.feed);
          for (const tr of step.transitions) emit(step.feed, tr);
        }
        const lowWm = Math.min(...wms.values());
        for (const [assetId, f] of feeds) {
          const tr = openDue(f, lowWm, config.stale_feed);
          if (!tr) continue;
          emit(f, tr);
          feeds.set(assetId, { ...f, opened: f.last });
        }
      }
      return out.sort((a, b) => a.ts.localeCompare(b.ts) || a.notification_id.localeCompare(b.notification_id));
    },
  };
}
