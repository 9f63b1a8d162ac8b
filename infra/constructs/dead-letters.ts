import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { dlqName } from '../../src/shared/resources.ts';
import { acknowledge } from '../nag.ts';

export interface DeadLettersProps {
  readonly key: IKey;
  /** Failure sources: `splitter`, `registry`, consumer names. One queue each, so a redrive knows whose entries it holds. */
  readonly sources: readonly string[];
}

/** SQS's maximum: an operator has two weeks to look at a failure before it is gone. */
const DLQ_RETENTION = Duration.days(14);

/** The on-failure destinations: one encrypted, TLS-only queue per failure source. */
export class DeadLetters extends Construct {
  private readonly queues = new Map<string, Queue>();

  constructor(scope: Construct, id: string, props: DeadLettersProps) {
    super(scope, id);
    for (const source of props.sources) {
      const queue = new Queue(this, source, {
        queueName: dlqName(source),
        encryption: QueueEncryption.KMS,
        encryptionMasterKey: props.key,
        // Reuse a data key for 5 minutes instead of asking KMS per message.
        dataKeyReuse: Duration.minutes(5),
        enforceSSL: true,
        retentionPeriod: DLQ_RETENTION,
      });
      acknowledge(
        queue,
        'AwsSolutions-SQS3',
        'This queue IS a dead-letter queue: the on-failure destination of a Lambda event source mapping or asynchronous invocation, which cdk-nag does not recognise as a DLQ use.',
      );
      this.queues.set(source, queue);
    }
  }

  queue(source: string): Queue {
    const q = this.queues.get(source);
    if (!q)
      throw new Error(`DeadLetters: no queue for source ${source}; sources are ${[...this.queues.keys()].join(', ')}`);
    return q;
  }

  get all(): ReadonlyMap<string, Queue> {
    return this.queues;
  }
}
