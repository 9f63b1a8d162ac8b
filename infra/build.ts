/**
 * Assembles the CDK app: `infra/app.ts` (what `cdk synth` runs) and the infra tests
 * both build it here, so a test synthesizes exactly what a deployment does. (The
 * cdk-nag plugin is registered by `app.ts`; the nag test runs the same checks itself.)
 */
import { App } from 'aws-cdk-lib';
import { configFromContext, type DeployConfig } from './config.ts';
import { PROJECT_ROOT } from './project.ts';
import { DubeGridStack } from './stack.ts';

export { PROJECT_ROOT, cdkJsonContext } from './project.ts';

export interface BuildOptions {
  /** Context on top of what the CDK CLI passes (tests: `cdk.json`'s, see `cdkJsonContext`). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** false: NodejsFunction does not run esbuild (fast synthesis for tests). @default true */
  readonly bundling?: boolean;
  /** CDK's built-in CloudFormation schema validation (slow: ~20 s for this stack; tests skip it). @default true */
  readonly cfnValidation?: boolean;
  /** @default PROJECT_ROOT */
  readonly projectRoot?: string;
  readonly outdir?: string;
}

export interface Built {
  readonly app: App;
  readonly stack: DubeGridStack;
  readonly config: DeployConfig;
}

export function buildApp(options: BuildOptions = {}): Built {
  const context: Record<string, unknown> = { ...options.context };
  // Bundling only the listed stacks; none = NodejsFunction skips esbuild (the asset is a placeholder).
  if (options.bundling === false) context['aws:cdk:bundling-stacks'] = [];
  const app = new App({
    context,
    builtinCloudFormationValidation: options.cfnValidation ?? true,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const config = configFromContext((key) => app.node.tryGetContext(key));
  const stack = new DubeGridStack(app, config.stackName, {
    config,
    projectRoot: options.projectRoot ?? PROJECT_ROOT,
    description: 'DubeGrid: event-sourced LV network monitoring pipeline (S3 → Kinesis → DynamoDB, SNS, Parquet lake)',
    ...(config.account && config.region ? { env: { account: config.account, region: config.region } } : {}),
  });
  return { app, stack, config };
}
