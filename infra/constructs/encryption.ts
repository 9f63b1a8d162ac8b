import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccountRootPrincipal, Effect, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AWS_ONLY } from '../../src/shared/resources.ts';

export interface DataKeyProps {
  /** @default RemovalPolicy.RETAIN — data encrypted under a deleted key is lost. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Key administration, spelled out: CDK's default key policy grants `kms:*` to the
 * account, and this deployment grants no `*` action anywhere.
 */
const KEY_ADMINISTRATION = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:CreateGrant',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/** The cryptographic operations of a symmetric key, delegated to IAM (roles get them by grants). */
const KEY_USE = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/**
 * The customer-managed key of the data bucket, the tables, the queues and the topics.
 * One key: one policy to audit and one monthly key charge; roles get exactly the
 * operations their grants name.
 */
export class DataKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: DataKeyProps = {}) {
    super(scope, id);
    const policy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'AccountAdministersKeyAndDelegatesUseToIam',
          effect: Effect.ALLOW,
          principals: [new AccountRootPrincipal()],
          actions: [...KEY_ADMINISTRATION, ...KEY_USE],
          resources: ['*'],
        }),
        new PolicyStatement({
          // CloudWatch alarms publish to the encrypted operations topic; SNS asks KMS as CloudWatch.
          sid: 'CloudWatchAlarmsPublishToEncryptedTopics',
          effect: Effect.ALLOW,
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
        }),
      ],
    });
    this.key = new Key(this, 'Key', {
      alias: AWS_ONLY.dataKeyAlias,
      description: 'DubeGrid data: S3 bucket, DynamoDB tables, SQS dead-letter queues, SNS topics, Athena results',
      enableKeyRotation: true,
      policy,
      pendingWindow: Duration.days(7),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
