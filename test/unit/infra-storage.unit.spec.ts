import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/project.ts';
import { DataKey } from '../../infra/constructs/encryption.ts';
import { DataStorage, LAKE_NONCURRENT_VERSION_DAYS, type DataStorageProps } from '../../infra/constructs/storage.ts';
import { PREFIXES } from '../../src/shared/resources.ts';

function synth(props: Partial<DataStorageProps> = {}, withTrigger = false): Template {
  const app = new App({ context: cdkJsonContext(), builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-2' } });
  const { key } = new DataKey(stack, 'Key');
  const storage = new DataStorage(stack, 'Storage', { key, ...props });
  if (withTrigger) {
    const fn = LambdaFunction.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:eu-west-2:123456789012:function:splitter');
    storage.invokeOnObjectCreated('Splitter', fn, [
      { prefix: PREFIXES.raw, suffix: '.csv' },
      { prefix: PREFIXES.raw, suffix: '.csv.gz' },
    ]);
  }
  return Template.fromStack(stack);
}

const DATA_BUCKET = { BucketName: 'dubegrid-123456789012-eu-west-2' };

describe('DataStorage', () => {
  const template = synth();

  it('names the data bucket bucketName(account, region)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', DATA_BUCKET);
  });

  it('encrypts with the data key (bucket key on), versions, blocks public access, enforces bucket ownership', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ...DATA_BUCKET,
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
            },
          },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^StorageAccessLogs') },
        LogFilePrefix: 'data-bucket/',
      },
    });
  });

  it('denies every request without TLS (and below TLS 1.2), on both buckets', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      const statements = policy.Properties.PolicyDocument.Statement as {
        Effect: string;
        Condition?: Record<string, unknown>;
      }[];
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      );
    }
  });

  it('ages raw/ to Infrequent Access then Glacier Instant Retrieval, expires quarantine/ and athena-results/, cleans old versions', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ...DATA_BUCKET,
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: PREFIXES.raw,
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
            ],
          }),
          Match.objectLike({ Prefix: PREFIXES.quarantine, ExpirationInDays: 90 }),
          Match.objectLike({ Prefix: PREFIXES.athenaResults, ExpirationInDays: 30 }),
          Match.objectLike({
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          }),
        ]),
      },
    });
  });

  it('never expires or archives the other zones (processed/, manifests/, reference/)', () => {
    const bucket = Object.values(template.findResources('AWS::S3::Bucket', { Properties: DATA_BUCKET }))[0];
    const rules = bucket?.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    const prefixes = rules.map((r) => r.Prefix).filter(Boolean);
    expect(prefixes.sort()).toEqual(
      [PREFIXES.athenaResults, PREFIXES.quarantine, PREFIXES.raw, PREFIXES.processed].sort(),
    );
    // the lake's rule only ends the noncurrent versions compaction leaves (its deleted inputs)
    expect(rules.find((r) => r.Prefix === PREFIXES.processed)).toEqual({
      Id: 'CompactedLakeInputs',
      Prefix: PREFIXES.processed,
      NoncurrentVersionExpiration: { NoncurrentDays: LAKE_NONCURRENT_VERSION_DAYS },
      Status: 'Enabled',
    });
  });

  it('has no Object Lock unless asked', () => {
    template.hasResourceProperties('AWS::S3::Bucket', { ...DATA_BUCKET, ObjectLockEnabled: Match.absent() });
  });

  it('keeps the buckets when the stack is deleted, by default', () => {
    template.hasResource('AWS::S3::Bucket', { Properties: DATA_BUCKET, DeletionPolicy: 'Retain' });
  });

  it('writes access logs to an SSE-S3, TLS-only log bucket that expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.absent(),
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
  });
});

describe('DataStorage options', () => {
  it('enables Object Lock with a GOVERNANCE default retention', () => {
    synth({ objectLockDays: 365 }).hasResourceProperties('AWS::S3::Bucket', {
      ...DATA_BUCKET,
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
      },
    });
  });

  it('takes the lifecycle days it is given', () => {
    synth({ rawInfrequentAccessDays: 60, rawArchiveDays: 365, quarantineExpiryDays: 14 }).hasResourceProperties(
      'AWS::S3::Bucket',
      {
        ...DATA_BUCKET,
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              Prefix: PREFIXES.raw,
              Transitions: [Match.objectLike({ TransitionInDays: 60 }), Match.objectLike({ TransitionInDays: 365 })],
            }),
            Match.objectLike({ Prefix: PREFIXES.quarantine, ExpirationInDays: 14 }),
          ]),
        },
      },
    );
  });
});

describe('DataStorage notifications', () => {
  const template = synth({}, true);

  it('are the bucket’s own NotificationConfiguration: one entry per key filter', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ...DATA_BUCKET,
      NotificationConfiguration: {
        LambdaConfigurations: [
          {
            Event: 's3:ObjectCreated:*',
            Filter: {
              S3Key: {
                Rules: [
                  { Name: 'prefix', Value: 'raw/' },
                  { Name: 'suffix', Value: '.csv' },
                ],
              },
            },
            Function: 'arn:aws:lambda:eu-west-2:123456789012:function:splitter',
          },
          {
            Event: 's3:ObjectCreated:*',
            Filter: {
              S3Key: {
                Rules: [
                  { Name: 'prefix', Value: 'raw/' },
                  { Name: 'suffix', Value: '.csv.gz' },
                ],
              },
            },
            Function: 'arn:aws:lambda:eu-west-2:123456789012:function:splitter',
          },
        ],
      },
    });
  });

  it('need no custom resource (whose handler would need s3:PutBucketNotification on *)', () => {
    expect(template.findResources('Custom::S3BucketNotifications')).toEqual({});
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('are created after the invoke permission, which names the bucket and the account', () => {
    const permissions = template.findResources('AWS::Lambda::Permission');
    const [permissionId, permission] = Object.entries(permissions)[0] ?? [];
    expect(permission?.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: 'arn:aws:lambda:eu-west-2:123456789012:function:splitter',
      Principal: 's3.amazonaws.com',
      SourceAccount: '123456789012',
      SourceArn: 'arn:aws:s3:::dubegrid-123456789012-eu-west-2',
    });
    template.hasResource('AWS::S3::Bucket', { Properties: DATA_BUCKET, DependsOn: Match.arrayWith([permissionId]) });
  });
});
