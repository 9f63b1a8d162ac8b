import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
  StorageClass,
  type CfnBucket,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bucketName, PREFIXES } from '../../src/shared/resources.ts';
import { acknowledge } from '../nag.ts';

export interface DataStorageProps {
  readonly key: IKey;
  /** @default 30 */
  readonly rawInfrequentAccessDays?: number;
  /** Days after which raw/ moves to Glacier Instant Retrieval (still readable by a backfill). @default 180 */
  readonly rawArchiveDays?: number;
  /** @default 90 */
  readonly quarantineExpiryDays?: number;
  /** @default 30 */
  readonly athenaResultsExpiryDays?: number;
  /** S3 Object Lock default retention in GOVERNANCE mode. @default - no Object Lock */
  readonly objectLockDays?: number | undefined;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** An S3 key filter of one notification: a prefix and an optional suffix. */
export interface KeyFilter {
  readonly prefix: string;
  readonly suffix?: string;
}

/** Days noncurrent versions (overwritten or deleted objects) are kept. */
const NONCURRENT_VERSION_DAYS = 30;
/**
 * Days the lake's noncurrent versions are kept: every compaction deletes its inputs, and
 * the lake can be rebuilt from the stream or the raw zone, so its old objects are not
 * kept for a month. Object Lock retention, where set, still holds them until it ends
 * (docs/lake.md → "Compaction" → storage cost).
 */
export const LAKE_NONCURRENT_VERSION_DAYS = 1;
const INCOMPLETE_UPLOAD_DAYS = 7;
const ACCESS_LOG_DAYS = 90;

/**
 * The data bucket: every zone (`PREFIXES`) in one bucket, named `bucketName(account,
 * region)` so the CLI finds it from the account and region alone.
 *
 * S3 → Lambda notifications are written into the bucket's own CloudFormation
 * `NotificationConfiguration` rather than CDK's notifications custom resource, whose
 * handler needs `s3:PutBucketNotification` on `*`. The bucket then depends on the
 * invoke permissions, so a function the bucket invokes must refer to the bucket by
 * name (`byName`), not by reference — otherwise the template has a cycle.
 */
export class DataStorage extends Construct {
  readonly bucket: Bucket;
  /** The bucket's physical name (tokens for account/region in an environment-agnostic stack). */
  readonly bucketName: string;
  /** The same bucket referenced by name: grant to functions it invokes through this. */
  readonly byName: IBucket;
  private readonly lambdaConfigurations: CfnBucket.LambdaConfigurationProperty[] = [];

  constructor(scope: Construct, id: string, props: DataStorageProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.bucketName = bucketName(stack.account, stack.region);

    const accessLogs = new Bucket(this, 'AccessLogs', {
      // Server access log delivery supports SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy,
    });
    acknowledge(
      accessLogs,
      'AwsSolutions-S1',
      'This is the server access log destination of the data bucket; logging it into itself would recurse.',
    );

    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: this.bucketName,
      encryption: BucketEncryption.KMS,
      encryptionKey: props.key,
      // One data key per bucket instead of per object: ~99% fewer KMS requests.
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      // @ts-expect-error -- a Bucket is no IBucket under exactOptionalPropertyTypes (its `isWebsite` getter is `boolean | undefined`), aws/aws-cdk#37996; the directive fails once aws-cdk-lib is fixed
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-bucket/',
      ...(props.objectLockDays
        ? {
            objectLockEnabled: true,
            // Default retention is bucket-wide (S3 cannot scope it to a prefix): every zone is
            // append-only in this design, so only deletions are delayed. GOVERNANCE, not
            // COMPLIANCE, so an administrator can still tear the deployment down.
            objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(props.objectLockDays)),
          }
        : {}),
      lifecycleRules: [
        {
          id: 'RawAgeing',
          prefix: PREFIXES.raw,
          transitions: [
            {
              storageClass: StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.rawInfrequentAccessDays ?? 30),
            },
            // Instant Retrieval: a backfill re-splits archived files without a restore step.
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.rawArchiveDays ?? 180),
            },
          ],
        },
        {
          id: 'QuarantineExpiry',
          prefix: PREFIXES.quarantine,
          expiration: Duration.days(props.quarantineExpiryDays ?? 90),
        },
        {
          id: 'AthenaResultsExpiry',
          prefix: PREFIXES.athenaResults,
          expiration: Duration.days(props.athenaResultsExpiryDays ?? 30),
        },
        {
          id: 'CompactedLakeInputs',
          prefix: PREFIXES.processed,
          noncurrentVersionExpiration: Duration.days(LAKE_NONCURRENT_VERSION_DAYS),
        },
        {
          id: 'NoncurrentVersionsAndUploads',
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(INCOMPLETE_UPLOAD_DAYS),
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy,
    });
    (this.bucket.node.defaultChild as CfnBucket).notificationConfiguration = Lazy.any(
      {
        produce: () =>
          this.lambdaConfigurations.length ? { lambdaConfigurations: this.lambdaConfigurations } : undefined,
      },
      { omitEmptyArray: true },
    );

    this.byName = Bucket.fromBucketAttributes(this, 'ByName', {
      bucketName: this.bucketName,
      encryptionKey: props.key,
      account: stack.account,
      region: stack.region,
    });
  }

  /**
   * Invokes `fn` for every object created under each filter. S3 validates the
   * destination when it writes the configuration, so the bucket waits for the
   * permission; the permission names the bucket by ARN and account (bucket ARNs carry
   * no account, so `SourceAccount` stops another account's same-named bucket).
   */
  invokeOnObjectCreated(id: string, fn: IFunction, filters: readonly KeyFilter[]): void {
    const permission = new CfnPermission(this, `${id}InvokePermission`, {
      action: 'lambda:InvokeFunction',
      functionName: fn.functionArn,
      principal: 's3.amazonaws.com',
      sourceArn: this.byName.bucketArn,
      sourceAccount: Stack.of(this).account,
    });
    this.bucket.node.addDependency(permission);
    for (const f of filters) {
      const rules = [{ name: 'prefix', value: f.prefix }, ...(f.suffix ? [{ name: 'suffix', value: f.suffix }] : [])];
      this.lambdaConfigurations.push({
        event: 's3:ObjectCreated:*',
        function: fn.functionArn,
        filter: { s3Key: { rules } },
      });
    }
  }
}
