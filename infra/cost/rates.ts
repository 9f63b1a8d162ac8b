/**
 * eu-west-2 (London) list prices, USD, used by the cost estimate in
 * docs/cost.md. Each rate says where it comes from:
 *
 * - `price-list`: the AWS Price List offer file for eu-west-2 (the data AWS bills
 *   from) as transcribed in a public document citing the publication dates given;
 *   read 22 Nov 2026. Not fetched directly: the build environment has no network.
 * - `unverified`: the EU (London) figure from the service's pricing page as last known
 *   to the author; NOT re-checked from here. Confirm before relying on it:
 *   `aws pricing get-products --region us-east-1 --service-code <code> --filters Type=TERM_MATCH,Field=regionCode,Value=eu-west-2`.
 *
 * Change a number here and `npx tsx infra/cost/estimate.ts` prints the tables again.
 */
export type RateSource = 'price-list' | 'unverified';

export interface Rate {
  readonly usd: number;
  readonly per: string;
  readonly source: RateSource;
  /** Price-list service code and usage type, or the pricing page. */
  readonly ref: string;
}

const listed = (usd: number, per: string, ref: string): Rate => ({ usd, per, source: 'price-list', ref });
const recalled = (usd: number, per: string, ref: string): Rate => ({ usd, per, source: 'unverified', ref });

export const RATES = {
  // Kinesis Data Streams (AmazonKinesis)
  kinesisOnDemandStreamHour: recalled(0.046, 'stream-hour', 'AmazonKinesis, on-demand stream hour'),
  kinesisOnDemandInGB: recalled(0.092, 'GB written (records rounded up to 1 KB)', 'AmazonKinesis, on-demand data in'),
  kinesisOnDemandOutGB: recalled(0.046, 'GB read (per reader)', 'AmazonKinesis, on-demand data out'),
  kinesisOnDemandRetentionGBMonth: recalled(
    0.115,
    'GB-month kept beyond 24 h (to 7 days)',
    'AmazonKinesis, on-demand extended retention',
  ),
  kinesisShardHour: recalled(0.0165, 'shard-hour', 'AmazonKinesis, provisioned shard hour'),
  kinesisPutUnitsMillion: recalled(0.0154, 'million PUT payload units (25 KB)', 'AmazonKinesis, PUT payload units'),
  kinesisRetentionShardHour: recalled(
    0.023,
    'shard-hour of retention beyond 24 h',
    'AmazonKinesis, extended retention',
  ),
  // Lambda (AWSLambda, publication 2026-10-01)
  lambdaArmGBSecond: listed(0.0000133334, 'GB-second, Arm', 'AWSLambda EUW2-Lambda-GB-Second-ARM'),
  lambdaRequestsMillion: listed(0.2, 'million requests', 'AWSLambda EUW2-Request-ARM'),
  // DynamoDB (AmazonDynamoDB), on-demand after the November 2024 price reduction
  dynamoWriteMillion: recalled(0.7425, 'million write request units', 'AmazonDynamoDB EUW2-WriteRequestUnits'),
  dynamoReadMillion: recalled(0.1485, 'million read request units', 'AmazonDynamoDB EUW2-ReadRequestUnits'),
  dynamoStorageGBMonth: recalled(0.297, 'GB-month', 'AmazonDynamoDB EUW2-TimedStorage-ByteHrs'),
  dynamoPitrGBMonth: recalled(0.2376, 'GB-month of continuous backup', 'AmazonDynamoDB EUW2-TimedPITRStorage-ByteHrs'),
  // Firehose (AmazonKinesisFirehose)
  firehoseIngestGB: recalled(
    0.031,
    'GB ingested (records rounded up to 5 KB), first 500 TB',
    'AmazonKinesisFirehose, ingestion',
  ),
  firehoseConversionGB: recalled(0.0198, 'GB converted (5 KB increments)', 'AmazonKinesisFirehose, format conversion'),
  firehosePartitioningGB: recalled(
    0.022,
    'GB through dynamic partitioning',
    'AmazonKinesisFirehose, dynamic partitioning',
  ),
  firehosePartitioningObjectsThousand: recalled(
    0.0055,
    '1,000 objects delivered',
    'AmazonKinesisFirehose, dynamic partitioning objects',
  ),
  firehoseJqHour: recalled(0.077, 'JQ processing hour', 'AmazonKinesisFirehose, JQ processing'),
  // S3 (AmazonS3, publication 2026-09-28)
  s3StandardGBMonth: listed(0.024, 'GB-month, Standard, first 50 TB', 'AmazonS3 EUW2-TimedStorage-ByteHrs'),
  s3PutThousand: listed(0.0053, '1,000 PUT/COPY/POST/LIST', 'AmazonS3 EUW2-Requests-Tier1'),
  s3GetTenThousand: listed(0.0042, '10,000 GET', 'AmazonS3 EUW2-Requests-Tier2'),
  // Athena (AmazonAthena)
  athenaTB: recalled(5, 'TB scanned (10 MB minimum per query)', 'AmazonAthena EUW2-DataScannedInTB'),
  // Fixed items (awskms 2026-09-11, AmazonCloudWatch 2026-09-22)
  kmsKeyMonth: listed(1, 'customer-managed key-month', 'awskms eu-west-2-KMS-Keys'),
  cloudWatchAlarmMonth: listed(0.1, 'standard alarm-month (10 free)', 'AmazonCloudWatch EUW2-CW:AlarmMonitorUsage'),
  cloudWatchLogsGB: listed(0.5985, 'GB of logs ingested (5 GB free)', 'AmazonCloudWatch EUW2-DataProcessing-Bytes'),
  cloudWatchDashboardMonth: recalled(3, 'dashboard-month (3 free)', 'AmazonCloudWatch dashboards'),
  cloudWatchMetricMonth: recalled(
    0.3,
    'custom metric-month, first 10,000 (10 free)',
    'AmazonCloudWatch EUW2-CW:MetricMonitorUsage',
  ),
} as const satisfies Record<string, Rate>;

export type RateKey = keyof typeof RATES;
