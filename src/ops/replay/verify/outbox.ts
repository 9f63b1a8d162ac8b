/**
 * Notifications and on-failure destinations: every stored notification was published
 * (`published_at` set) and no notification id is stored twice; the DLQs are empty, or
 * each entry is listed.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StoredNotification } from '../../../consumers/anomaly/store/alert-store.ts';
import type { DlqEntry } from '../../../local/dlq.ts';
import { dlqName } from '../../../shared/resources.ts';
import type { Difference } from './model.ts';

export function checkNotifications(
  notifications: readonly Pick<
    StoredNotification,
    'notification_id' | 'asset_id' | 'sk' | 'published_at' | 'stored_at' | 'subject'
  >[],
): Difference[] {
  const out: Difference[] = [];
  const byId = new Map<string, string[]>();
  for (const n of notifications) {
    byId.set(n.notification_id, [...(byId.get(n.notification_id) ?? []), `${n.asset_id} ${n.sk}`]);
    if (!n.published_at)
      out.push({
        zone: 'notifications',
        check: 'unpublished',
        subject: n.notification_id,
        detail: `"${n.subject}" stored at ${n.stored_at} has not been published (it waits in the outbox)`,
      });
  }
  for (const [id, items] of byId) {
    if (items.length > 1)
      out.push({
        zone: 'notifications',
        check: 'duplicate_notification',
        subject: id,
        detail: `stored ${items.length} times: ${items.join(', ')}`,
      });
  }
  return out;
}

export function checkLocalDlq(entries: readonly DlqEntry[]): Difference[] {
  return entries.map((e) => {
    const p = e.payload;
    const what =
      p.kind === 'kinesis'
        ? `${p.records} record(s) of ${p.shard_id} from ${p.start_sequence_number} to ${p.end_sequence_number}`
        : `s3://${p.bucket}/${p.key}`;
    return {
      zone: 'dlq' as const,
      check: 'dlq_entry',
      subject: e.id,
      detail: `${e.source}: ${what}, ${e.condition} after ${e.attempts} attempt(s) at ${e.created_at}: ${e.error}`,
    };
  });
}

/**
 * On AWS: the depth of each source's SQS on-failure destination. `messages` is their
 * sum. A queue that cannot be read is a difference too: an unread DLQ is not an empty one.
 */
export async function checkAwsDlqs(
  sqs: SQSClient,
  sources: readonly string[],
): Promise<{ differences: Difference[]; messages: number }> {
  const differences: Difference[] = [];
  let messages = 0;
  for (const source of sources) {
    const name = dlqName(source);
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const n =
        Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      messages += n;
      if (n > 0)
        differences.push({
          zone: 'dlq',
          check: 'dlq_messages',
          subject: name,
          detail: `${n} message(s) from ${source}; read them with \`aws sqs receive-message --queue-url ${QueueUrl}\``,
        });
    } catch (err) {
      differences.push({
        zone: 'dlq',
        check: 'dlq_unreadable',
        subject: name,
        detail: `could not read the DLQ of ${source}: ${(err as Error).message.split('\n')[0]}`,
      });
    }
  }
  return { differences, messages };
}
