/**
 * The rules core over a list of readings, in memory: the same planning, windows and
 * rules as the consumer, without DynamoDB or SNS. For tests and the benchmark's
 * detection figures, and to try rule settings on a file before deploying them.
 */
import type { ReadingEvent } from '../../shared/event.ts';
import type { DecodedRecord } from '../kit/decode.ts';
import { notificationOf, type NotificationRecord } from './alerts.ts';
import { evaluatorFor, planBatch } from './plan.ts';
import { horizonMs, type RulesConfig } from './rules/config.ts';
import type { AssetInfo } from './rules/types.ts';
import { applyReadings, type WindowData } from './window.ts';

export interface DryRun {
  /** Applies readings as one batch; returns the notifications it produced. */
  apply(events: readonly ReadingEvent[]): NotificationRecord[];
  readonly windows: ReadonlyMap<string, WindowData>;
}

export function dryRun(assets: ReadonlyMap<string, AssetInfo>, config: RulesConfig): DryRun {
  const windows = new Map<string, WindowData>();
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
        const evaluator = evaluatorFor(work, (id) => assets.get(id), config);
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
      return out.sort((a, b) => a.ts.localeCompare(b.ts) || a.notification_id.localeCompare(b.notification_id));
    },
  };
}
