/**
 * An SNS-shaped client for unit tests: it records every `Publish` request, checks it
 * as the SNS API reference says `Publish` does (InvalidParameter /
 * InvalidParameterValue errors), answers `{ MessageId }`, and shows what an
 * HTTP/S or SQS subscriber would receive (the notification document, attributes as
 * `{ Type, Value }`). There is no AWS here to record from.
 */
import { randomUUID } from 'node:crypto';
import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';

export class FakeSnsError extends Error {
  constructor(
    override readonly name: 'InvalidParameterException' | 'InvalidParameterValueException' | 'NotFoundException',
    message: string,
  ) {
    super(message);
  }
}

export interface Delivered {
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageAttributes: Record<string, { Type: string; Value: string }>;
}

export class FakeSns {
  readonly requests: PublishCommandInput[] = [];
  readonly delivered: Delivered[] = [];

  constructor(private readonly topicArn: string) {}

  get client(): SNSClient {
    return { send: (command: unknown) => this.send(command) } as unknown as SNSClient;
  }

  private async send(command: unknown): Promise<{ MessageId: string }> {
    if (!(command instanceof PublishCommand))
      throw new Error(`the fake answers Publish only, got ${(command as object).constructor.name}`);
    const input = command.input;
    this.requests.push(input);
    if (input.TopicArn !== this.topicArn) throw new FakeSnsError('NotFoundException', 'Topic does not exist');
    const message = input.Message ?? '';
    if (message === '') throw new FakeSnsError('InvalidParameterException', 'Invalid parameter: Empty message');
    if (Buffer.byteLength(message) > 256 * 1024)
      throw new FakeSnsError('InvalidParameterException', 'Invalid parameter: Message too long');
    if (
      input.Subject !== undefined &&
      (input.Subject === '' || input.Subject.length >= 100 + 1 || /[^\x20-\x7e]/.test(input.Subject))
    ) {
      throw new FakeSnsError('InvalidParameterException', 'Invalid parameter: Subject');
    }
    const attributes = Object.entries(input.MessageAttributes ?? {});
    if (attributes.length > 10)
      throw new FakeSnsError(
        'InvalidParameterValueException',
        'Number of message attributes [11] exceeds the allowed maximum [10].',
      );
    for (const [name, a] of attributes) {
      if (!a.DataType || !/^(String|Number|Binary)(\..+)?$/.test(a.DataType))
        throw new FakeSnsError('InvalidParameterValueException', `The message attribute '${name}' has an invalid type`);
      if (a.StringValue === undefined || a.StringValue === '')
        throw new FakeSnsError(
          'InvalidParameterValueException',
          `The message attribute '${name}' must contain non-empty message attribute value`,
        );
      if (a.DataType.startsWith('Number') && !Number.isFinite(Number(a.StringValue)))
        throw new FakeSnsError(
          'InvalidParameterValueException',
          `The message attribute '${name}' has an invalid numeric value`,
        );
    }
    const MessageId = randomUUID();
    this.delivered.push({
      MessageId,
      TopicArn: this.topicArn,
      ...(input.Subject !== undefined ? { Subject: input.Subject } : {}),
      Message: message,
      MessageAttributes: Object.fromEntries(
        attributes.map(([k, a]) => [k, { Type: a.DataType as string, Value: a.StringValue as string }]),
      ),
    });
    return { MessageId };
  }
}
