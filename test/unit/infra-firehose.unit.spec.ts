import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/project.ts';
import { DataKey } from '../../infra/constructs/encryption.ts';
import { LakeDelivery } from '../../infra/constructs/firehose.ts';
import { LakeCatalog } from '../../infra/constructs/lake.ts';
import { DataStorage } from '../../infra/constructs/storage.ts';
import { ReadingsStream } from '../../infra/constructs/stream.ts';
import { FIREHOSE_CONVERSION } from '../../src/shared/glue.ts';
import { LAKE_DELIVERY, PREFIXES } from '../../src/shared/resources.ts';

function synth(buffer: { bufferSeconds?: number; bufferMiB?: number } = {}): Template {
  const stack = new Stack(new App({ context: cdkJsonContext(), builtinCloudFormationValidation: false }), 'Test', {
    env: { account: '123456789012', region: 'eu-west-2' },
  });
  const { key } = new DataKey(stack, 'Key');
  const storage = new DataStorage(stack, 'Storage', { key });
  const { stream } = new ReadingsStream(stack, 'Stream');
  const catalog = new LakeCatalog(stack, 'Lake', { bucketName: storage.bucketName, key, scanLimitBytes: 1024 ** 3 });
  new LakeDelivery(stack, 'Delivery', {
    stream,
    bucket: storage.bucket,
    key,
    database: catalog.database,
    table: catalog.readingsTable,
    logRetention: RetentionDays.ONE_MONTH,
    ...buffer,
  });
  return Template.fromStack(stack);
}

type Props = Record<string, unknown>;
const deliveryStream = (template: Template): Props =>
  Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0]?.Properties as Props;
const destination = (template: Template) => deliveryStream(template).ExtendedS3DestinationConfiguration as Props;

describe('LakeDelivery', () => {
  const template = synth();

  it('reads the Kinesis stream', () => {
    expect(deliveryStream(template)).toMatchObject({
      DeliveryStreamName: LAKE_DELIVERY.deliveryStreamName,
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: { 'Fn::GetAtt': [expect.stringMatching(/^Stream/), 'Arn'] },
      },
    });
  });

  it('partitions by the reading’s own date with jq on ts, and has no de-aggregation processor (Firehose de-aggregates KPL itself)', () => {
    const processors = (
      destination(template).ProcessingConfiguration as { Processors: { Type: string; Parameters: Props[] }[] }
    ).Processors;
    expect(processors.map((p) => p.Type)).toEqual(['MetadataExtraction']);
    expect(processors[0]?.Parameters).toEqual([
      { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{y: .ts[0:4], m: .ts[5:7], d: .ts[8:10]}' },
      { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
    ]);
    expect(destination(template).DynamicPartitioningConfiguration).toEqual({
      Enabled: true,
      RetryOptions: { DurationInSeconds: 300 },
    });
  });

  it('writes under processed/readings/y=/m=/d=/ and failures under processed-errors/', () => {
    expect(destination(template)).toMatchObject({
      Prefix:
        'processed/readings/y=!{partitionKeyFromQuery:y}/m=!{partitionKeyFromQuery:m}/d=!{partitionKeyFromQuery:d}/',
      ErrorOutputPrefix: expect.stringMatching(/^processed-errors\/!\{firehose:error-output-type\}\//),
      FileExtension: '.parquet',
      BucketARN: { 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/), 'Arn'] },
    });
    expect(FIREHOSE_CONVERSION.prefix.startsWith(PREFIXES.processed)).toBe(true);
  });

  it('converts JSON with the OpenX SerDe to Parquet using the Glue readings table', () => {
    expect(destination(template).DataFormatConversionConfiguration).toEqual({
      Enabled: true,
      InputFormatConfiguration: {
        Deserializer: { OpenXJsonSerDe: { CaseInsensitive: false, ConvertDotsInJsonKeysToUnderscores: false } },
      },
      OutputFormatConfiguration: {
        Serializer: { ParquetSerDe: { Compression: FIREHOSE_CONVERSION.parquetCompression } },
      },
      SchemaConfiguration: {
        CatalogId: '123456789012',
        Region: 'eu-west-2',
        DatabaseName: { Ref: expect.stringMatching(/^LakeDatabase/) },
        TableName: { Ref: expect.stringMatching(/^LakeReadingsTable/) },
        RoleARN: { 'Fn::GetAtt': [expect.stringMatching(/^DeliveryRole/), 'Arn'] },
        VersionId: 'LATEST',
      },
    });
  });

  it('buffers 128 MiB / 300 s by default, encrypts with the data key, logs delivery errors', () => {
    expect(destination(template)).toMatchObject({
      BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 300 },
      EncryptionConfiguration: {
        KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] } },
      },
      CloudWatchLoggingOptions: { Enabled: true },
    });
    expect(destination(template).CompressionFormat).toBeUndefined();
  });

  it('takes other buffering hints within Firehose’s limits, and says what it got otherwise', () => {
    expect(destination(synth({ bufferSeconds: 60, bufferMiB: 64 })).BufferingHints).toEqual({
      SizeInMBs: 64,
      IntervalInSeconds: 60,
    });
    expect(() => synth({ bufferMiB: 32 })).toThrow(/bufferMiB must be 64–128 with format conversion, got 32/);
    expect(() => synth({ bufferSeconds: 30 })).toThrow(
      /bufferSeconds must be 60–900 with dynamic partitioning, got 30/,
    );
  });

  it('is created after its role’s policy, and the role only trusts Firehose for this account', () => {
    const [stream] = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'));
    expect(stream?.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^DeliveryRoleDefaultPolicy/)]));
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'firehose.amazonaws.com' },
            Condition: { StringEquals: { 'sts:ExternalId': '123456789012' } },
          },
        ],
      },
    });
  });

  it('may write only its two prefixes, read only the stream, and read only the one Glue table', () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policy?.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const resourcesOf = (action: string) =>
      statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat());
    const bucketObjects = (prefix: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StorageBucket/), 'Arn'] }, `/${prefix}*`]],
    });
    expect(resourcesOf('s3:PutObject')).toEqual([
      bucketObjects(PREFIXES.processedErrors),
      bucketObjects(PREFIXES.processed),
    ]);
    expect(resourcesOf('kinesis:GetRecords')).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^Stream/), 'Arn'] }]);
    expect(resourcesOf('glue:GetTable')).toEqual([
      'arn:aws:glue:eu-west-2:123456789012:catalog',
      'arn:aws:glue:eu-west-2:123456789012:database/dubegrid',
      'arn:aws:glue:eu-west-2:123456789012:table/dubegrid/readings_delivered',
    ]);
    expect(statements.flatMap((s) => [s.Action].flat())).not.toContain('glue:GetSchemaVersion');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.not(Match.arrayWith([Match.objectLike({ Resource: '*' })])) },
    });
  });
});
