/**
 * Publishing the outbox: a stored notification goes to the topic, then gets its
 * `published_at`. The consumer publishes what it has just stored; the sweeper
 * (`outbox-handler.ts`, every minute) publishes whatever is still unset — after a
 * crash between storing and publishing, or a topic that was away. So each
 * notification is stored once and published at least once.
 */
import { inPool } from '../../shared/concurrency.ts';
import type { AlertArchive } from './archive.ts';
import type { AlertPublisher } from './publisher.ts';
import type { AlertStore, StoredNotification } from './store/alert-store.ts';

/** The sweeper leaves notifications younger than this to the consumer that is publishing them. */
export const OUTBOX_GRACE_MS = 30_000;

export interface PublishOutcome {
  readonly published: number;
  readonly failed: number;
  readonly errors: readonly string[];
}

/**
 * Notifications in flight at once. One at a time, a batch that stores thousands (a backlog
 * of months ingested together opens and closes a `data_gap` per series where the files
 * interleave) held its shard for as long as thousands of three-call round trips: 2 a
 * second on a loaded machine, measured. Each call is small, so a few in flight cost
 * little more than one.
 */
export const PUBLISH_CONCURRENCY = 8;

/**
 * Publishes each notification — its row in the alert lake first, then the topic —
 * marking each one published; failures stay in the outbox, so the sweeper retries both.
 * One asset's notifications go in their order (an incident's opening before its
 * closing), assets side by side.
 */
export async function publishAll(
  notifications: readonly StoredNotification[],
  publisher: AlertPublisher,
  alerts: AlertStore,
  archive: AlertArchive,
  concurrency: number = PUBLISH_CONCURRENCY,
): Promise<PublishOutcome> {
  let published = 0;
  const errors: string[] = [];
  await inPool([...byAsset(notifications).values()], concurrency, async (group) => {
    for (const n of group) {
      try {
        await archive.put(n);
        const { messageId } = await publisher.publish({
          subject: n.subject,
          body: n.message,
          attributes: n.attributes,
        });
        await alerts.markPublished(n, messageId);
        published++;
      } catch (err) {
        errors.push(`${n.notification_id}: ${(err as Error).message}`);
      }
    }
  });
  return { published, failed: errors.length, errors };
}

/** The notifications by asset, each asset's in the order given. */
function byAsset(notifications: readonly StoredNotification[]): Map<string, StoredNotification[]> {
  const out = new Map<string, StoredNotification[]>();
  for (const n of notifications) {
    const group = out.get(n.asset_id);
    if (group) group.push(n);
    else out.set(n.asset_id, [n]);
  }
  return out;
}

export interface SweepOptions {
  readonly alerts: AlertStore;
  readonly publisher: AlertPublisher;
  readonly archive: AlertArchive;
  readonly now?: () => Date;
  readonly graceMs?: number | undefined;
}

/** Publishes every notification still unpublished and older than the grace period, oldest reading first. */
export async function sweepOutbox(options: SweepOptions): Promise<PublishOutcome & { pending: number }> {
  const now = (options.now ?? (() => new Date()))();
  const before = new Date(now.getTime() - (options.graceMs ?? OUTBOX_GRACE_MS)).toISOString();
  const pending = (await options.alerts.pending(before)).sort((a, b) => a.sk.localeCompare(b.sk));
  const outcome = await publishAll(pending, options.publisher, options.alerts, options.archive);
  return { ...outcome, pending: pending.length };
}
