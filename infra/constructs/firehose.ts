import { Duration, Stack } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Grant, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, LogStream, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FIREHOSE_CONVERSION } from '../../src/shared/glue.ts';
import { GLUE, LAKE_DELIVERY, PREFIXES } from '../../src/shared/resources.ts';
import { acknowledge, acknowledgeActions, acknowledgeResources, GRANT_ACTION_PATTERNS } from '../nag.ts';

export interface LakeDeliveryProps {
  readonly stream: IStream;
  /** What is used of the data bucket (a `Bucket` is no `IBucket` under `exactOptionalPropertyTypes`: aws/aws-cdk#37996). */
  readonly bucket: Pick<IBucket, 'bucketArn' | 'arnForObjects' | 'grantRead' | 'grantPut'>;
  readonly key: IKey;
  /** The Glue database and the Parquet table whose schema the conversion writes. */
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  /** @default FIREHOSE_CONVERSION.buffering.intervalSeconds */
  readonly bufferSeconds?: number;
  /** @default FIREHOSE_CONVERSION.buffering.sizeMiB */
  readonly bufferMiB?: number;
  readonly logRetention: RetentionDays;
}

/** How long Firehose retries a partition's delivery before it goes to the error prefix. */
const DYNAMIC_PARTITIONING_RETRY = Duration.minutes(5);

/**
 * The Firehose delivery stream of the lake: reads the Kinesis stream (de-aggregating
 * KPL records itself — so no de-aggregation processor), converts each JSON event to
 * Parquet with the Glue table's schema (OpenX JSON SerDe), partitions by the
 * reading's own date (jq on `ts`), writes under `processed/readings/y=/m=/d=/`, and
 * records that fail go under `processed-errors/`.
 *
 * An L1 resource: the L2 `S3Bucket` destination grants read/write on the whole bucket
 * and `glue:GetSchemaVersion` on `*`; here the role gets the two prefixes and the one
 * table only.
 */
export class LakeDelivery extends Construct {
  readonly deliveryStream: CfnDeliveryStream;
  readonly role: Role;
  readonly deliveryStreamName: string = LAKE_DELIVERY.deliveryStreamName;

  constructor(scope: Construct, id: string, props: LakeDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const bufferSeconds = props.bufferSeconds ?? FIREHOSE_CONVERSION.buffering.intervalSeconds;
    const bufferMiB = props.bufferMiB ?? FIREHOSE_CONVERSION.buffering.sizeMiB;
    if (bufferSeconds < 60 || bufferSeconds > 900)
      throw new Error(`LakeDelivery: bufferSeconds must be 60–900 with dynamic partitioning, got ${bufferSeconds}`);
    if (bufferMiB < 64 || bufferMiB > 128)
      throw new Error(`LakeDelivery: bufferMiB must be 64–128 with format conversion, got ${bufferMiB}`);

    this.role = new Role(this, 'Role', {
      // Firehose passes the account id as external id: no other account's stream can use this role.
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': stack.account } },
      }),
      description: 'DubeGrid lake delivery: Kinesis stream to Parquet under processed/readings/',
    });
    props.stream.grantRead(this.role);
    for (const prefix of [PREFIXES.processed, PREFIXES.processedErrors]) {
      // Firehose lists and reads back what it writes (multipart uploads); nothing outside its two prefixes.
      props.bucket.grantRead(this.role, `${prefix}*`);
      props.bucket.grantPut(this.role, `${prefix}*`);
      acknowledgeResources(
        this.role,
        [props.bucket.arnForObjects(`${prefix}*`)],
        `Objects under ${prefix} only: the lake (processed/readings/) or the records Firehose could not convert or partition (processed-errors/).`,
      );
    }
    acknowledgeActions(
      this.role,
      [...GRANT_ACTION_PATTERNS.s3Read, ...GRANT_ACTION_PATTERNS.s3Put],
      's3 Get*/List*/Abort* as bucket.grantRead/grantPut emit them, on the processed/readings/ and processed-errors/ zones only.',
    );
    props.key.grantEncryptDecrypt(this.role);
    acknowledgeActions(
      this.role,
      GRANT_ACTION_PATTERNS.kms,
      'kms:GenerateDataKey*/ReEncrypt* as key.grantEncryptDecrypt emits them, on the data key only.',
    );
    const glueArn = (resource: string, name?: string): string =>
      stack.formatArn({ service: 'glue', resource, ...(name === undefined ? {} : { resourceName: name }) });
    Grant.addToPrincipal({
      grantee: this.role,
      actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
      resourceArns: [
        glueArn('catalog'),
        glueArn('database', GLUE.databaseName),
        glueArn('table', `${GLUE.databaseName}/${GLUE.tableName}`),
      ],
    });

    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    const logStream = new LogStream(this, 'DeliveryLog', { logGroup });
    logGroup.grantWrite(this.role);

    this.deliveryStream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: LAKE_DELIVERY.deliveryStreamName,
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: props.stream.streamArn, roleArn: this.role.roleArn },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: FIREHOSE_CONVERSION.prefix,
        errorOutputPrefix: FIREHOSE_CONVERSION.errorOutputPrefix,
        fileExtension: FIREHOSE_CONVERSION.fileExtension,
        bufferingHints: { intervalInSeconds: bufferSeconds, sizeInMBs: bufferMiB },
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.key.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
        dynamicPartitioningConfiguration: {
          enabled: true,
          retryOptions: { durationInSeconds: DYNAMIC_PARTITIONING_RETRY.toSeconds() },
        },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'MetadataExtraction',
              parameters: [
                {
                  parameterName: 'MetadataExtractionQuery',
                  parameterValue: FIREHOSE_CONVERSION.metadataExtractionQuery,
                },
                { parameterName: 'JsonParsingEngine', parameterValue: FIREHOSE_CONVERSION.jsonParsingEngine },
              ],
            },
          ],
        },
        dataFormatConversionConfiguration: {
          enabled: true,
          inputFormatConfiguration: { deserializer: { openXJsonSerDe: { ...FIREHOSE_CONVERSION.openXJsonSerDe } } },
          outputFormatConfiguration: {
            serializer: { parquetSerDe: { compression: FIREHOSE_CONVERSION.parquetCompression } },
          },
          schemaConfiguration: {
            catalogId: stack.account,
            region: stack.region,
            databaseName: props.database.ref,
            tableName: props.table.ref,
            roleArn: this.role.roleArn,
            versionId: 'LATEST',
          },
        },
      },
    });
    // Firehose validates its role's access when the stream is created: the policy must exist first.
    this.deliveryStream.node.addDependency(this.role);

    acknowledge(
      this.deliveryStream,
      'AwsSolutions-KDF1',
      'A delivery stream with a Kinesis stream source cannot take its own server-side encryption (the source stream is KMS-encrypted); what it writes is SSE-KMS encrypted with the data key (encryptionConfiguration).',
    );
  }

  metric(metricName: string, options: MetricOptions = {}): Metric {
    return new Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: this.deliveryStreamName },
      ...options,
    });
  }
}
