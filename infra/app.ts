/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`). Context parameters: see
 * `infra/config.ts` and docs/aws-deployment.md.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from './build.ts';

try {
  const { app } = buildApp();
  // Synthesis fails on any cdk-nag finding not acknowledged (with its reason) in the code.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
} catch (err) {
  // One line, not a stack trace: these are configuration or missing-handler errors.
  console.error(`${(err as Error).name}: ${(err as Error).message}`);
  process.exit(1);
}
