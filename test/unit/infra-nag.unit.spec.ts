/**
 * cdk-nag AwsSolutions over the stack as `cdk synth` builds it by default
 * (environment-agnostic): zero unacknowledged findings, and every acknowledgement
 * carries its reason.
 */
import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp, cdkJsonContext } from '../../infra/build.ts';
import type { PipelineFunctions } from '../../infra/constructs/functions.ts';

const build = () => buildApp({ bundling: false, cfnValidation: false, context: cdkJsonContext() });
const findings = (scope: IConstruct) =>
  new AwsSolutionsChecks()
    .validateScope(scope)
    .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

describe('cdk-nag AwsSolutions', () => {
  const { stack } = build();

  it('finds nothing unacknowledged', () => {
    expect(findings(stack)).toEqual([]);
  });

  it('gives a reason for every acknowledgement', () => {
    const acknowledgements: [string, string][] = [];
    for (const c of stack.node.findAll()) {
      for (const entry of c.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          acknowledgements.push(...Object.entries(entry.data as Record<string, string>));
      }
    }
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) expect(`${id}: ${reason}`).toMatch(/^.+: .{40,}/);
    // Only these rules are acknowledged at all; anything else must be fixed, not acknowledged.
    const rules = new Set(acknowledgements.map(([id]) => id.replace(/^annotation::/i, '').replace(/\[.*$/, '')));
    // The console (issue 16): the health route without auth (APIG4), CloudFront without a custom
    // domain, WAF, geo restriction or logs (CFR1-4), Cognito's paid threat protection (COG3, COG8).
    expect([...rules].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR3',
      'AwsSolutions-CFR4',
      'AwsSolutions-COG3',
      'AwsSolutions-COG8',
      'AwsSolutions-IAM5',
      'AwsSolutions-KDF1',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SF1',
      'AwsSolutions-SF2',
      'AwsSolutions-SQS3',
    ]);
  });

  it('still catches a new wildcard: acknowledgements name one role, one action pattern, one resource', () => {
    const { stack: other } = build();
    const functions = other.node.findChild('Functions') as PipelineFunctions;
    // The outbox sweeper only writes to S3: s3:GetObject* is acknowledged for the readers' roles, not for its.
    functions.functions.outbox.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject*'], resources: ['*'] }),
    );
    expect(findings(other)).toEqual([
      'AwsSolutions-IAM5[Action::s3:GetObject*] at DubeGrid/Functions/AlertOutboxFunction/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] at DubeGrid/Functions/AlertOutboxFunction/Role/DefaultPolicy/Resource',
    ]);
  });
});
