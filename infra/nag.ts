/**
 * cdk-nag (v3) findings this deployment accepts, each acknowledged on the construct it
 * concerns with its reason (CDK's `Validations.of(...).acknowledge`). IAM5 findings are
 * acknowledged one by one — the exact action pattern, the exact resource — so a new
 * wildcard anywhere else still fails synthesis.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** Action patterns CDK grant methods emit (`bucket.grantRead` → `s3:GetObject*`, key grants → `kms:GenerateDataKey*`, …). */
export const GRANT_ACTION_PATTERNS = {
  s3Read: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
  s3Put: ['s3:Abort*'],
  s3Delete: ['s3:DeleteObject*'],
  kms: ['kms:GenerateDataKey*', 'kms:ReEncrypt*'],
} as const;

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** One IAM5 finding per action pattern. */
export function acknowledgeActions(scope: IConstruct, actions: readonly string[], reason: string): void {
  for (const action of actions) acknowledge(scope, `AwsSolutions-IAM5[Action::${action}]`, reason);
}

/**
 * One IAM5 finding per resource, named as cdk-nag names it (the resolved ARN, references
 * flattened): e.g. the objects under one prefix of one bucket, a table's indexes.
 */
export function acknowledgeResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources)
    acknowledge(scope, `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(resource))}]`, reason);
}
