/**
 * The JSON document SNS POSTs to an HTTP/S subscriber (and the local topic writes to
 * its JSONL subscribers): `Type: Notification`, the message, its attributes as
 * `{Type, Value}`. The local topic does not sign messages, so the signature fields
 * are absent: a subscriber that verifies signatures must skip that locally.
 */
import { LOCAL_ACCOUNT, LOCAL_REGION, TOPICS } from '../../shared/resources.ts';
import type { MessageAttributes } from './filter-policy.ts';

export interface SnsNotification {
  readonly Type: 'Notification';
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly MessageAttributes: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
}

/** The local alerts topic's ARN: the shape of the real one, with the local account and region. */
export const LOCAL_ALERTS_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${TOPICS.alerts.topicName}`;

export function notificationOf(input: {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: MessageAttributes;
  now: Date;
}): SnsNotification {
  return {
    Type: 'Notification',
    MessageId: input.messageId,
    TopicArn: input.topicArn,
    ...(input.subject !== undefined ? { Subject: input.subject } : {}),
    Message: input.message,
    Timestamp: input.now.toISOString(),
    MessageAttributes: Object.fromEntries(
      Object.entries(input.attributes)
        .filter(([, a]) => a.StringValue !== undefined)
        .map(([k, a]) => [k, { Type: a.DataType, Value: a.StringValue as string }]),
    ),
  };
}
