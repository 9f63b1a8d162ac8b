/**
 * Where alert notifications go: an SNS topic on AWS, the embedded stack's local
 * topic (`src/local/sns/`) locally. Both take the same message with the same
 * attributes, so subscribers' filter policies behave alike on both targets.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** Attribute values: strings become `String` attributes, numbers `Number` attributes. */
export type AlertAttributes = Readonly<Record<string, string | number>>;

export interface AlertMessage {
  /** SNS subjects are at most 100 printable ASCII characters. */
  readonly subject: string;
  /** JSON text. */
  readonly body: string;
  readonly attributes: AlertAttributes;
}

export interface AlertPublisher {
  /** Resolves once the topic has accepted the message (not once subscribers got it). */
  publish(message: AlertMessage): Promise<{ readonly messageId: string }>;
}

export class PublishError extends Error {
  override name = 'PublishError';
}

/** SNS message attributes in the shape `Publish` takes. */
export function snsAttributes(
  attributes: AlertAttributes,
): Record<string, { DataType: 'String' | 'Number'; StringValue: string }> {
  return Object.fromEntries(
    Object.entries(attributes).map(([k, v]) => [
      k,
      typeof v === 'number' ? { DataType: 'Number', StringValue: String(v) } : { DataType: 'String', StringValue: v },
    ]),
  );
}

/** A subject SNS accepts: printable ASCII, at most 100 characters. */
export function snsSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

/** Publishes to an SNS topic through an injected client. */
export class SnsPublisher implements AlertPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {
    if (!topicArn.startsWith('arn:'))
      throw new PublishError(`the alerts topic must be an ARN, got ${JSON.stringify(topicArn)}`);
  }

  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    try {
      const out = await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(message.subject),
          Message: message.body,
          MessageAttributes: snsAttributes(message.attributes),
        }),
      );
      return { messageId: out.MessageId ?? '' };
    } catch (err) {
      throw new PublishError(`publishing to ${this.topicArn} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
