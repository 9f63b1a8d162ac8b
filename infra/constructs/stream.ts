import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { STREAM } from '../../src/shared/resources.ts';

export interface ReadingsStreamProps {
  /** Provisioned shards. @default - on-demand capacity */
  readonly shards?: number | undefined;
  /**
   * How long the stream keeps records: the window in which projections can be rebuilt
   * by replay (beyond it, by re-splitting raw/).
   * @default STREAM.retentionHours (7 days)
   */
  readonly retentionHours?: number;
  /** @default RemovalPolicy.DESTROY — the stream is a window, raw/ is the archive. */
  readonly removalPolicy?: RemovalPolicy;
}

/** The log of record: every reading event, KPL-aggregated, partitioned by substation. */
export class ReadingsStream extends Construct {
  readonly stream: Stream;

  constructor(scope: Construct, id: string, props: ReadingsStreamProps = {}) {
    super(scope, id);
    if (props.shards !== undefined && (!Number.isInteger(props.shards) || props.shards < 1)) {
      throw new Error(`ReadingsStream: shards must be a positive integer, got ${props.shards}`);
    }
    this.stream = new Stream(this, 'Stream', {
      streamName: STREAM.streamName,
      streamMode: props.shards === undefined ? StreamMode.ON_DEMAND : StreamMode.PROVISIONED,
      ...(props.shards === undefined ? {} : { shardCount: props.shards }),
      retentionPeriod: Duration.hours(props.retentionHours ?? STREAM.retentionHours),
      // The AWS-managed key: consumers, Firehose and the splitter need no key grants, and
      // no per-request KMS charge scales with the number of readers (cdk-nag KDS3).
      encryption: StreamEncryption.MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
  }
}
