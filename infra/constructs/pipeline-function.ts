import { join } from 'node:path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type FunctionDefinition } from '../../src/shared/functions.ts';
import { handlerBundling } from '../bundling/options.ts';
import { acknowledge } from '../nag.ts';

export interface PipelineFunctionProps {
  /** The function's key in `FUNCTIONS`: its Powertools service name. */
  readonly name: string;
  readonly definition: FunctionDefinition;
  /** Root the definition's `entry` is relative to (the repository root). */
  readonly projectRoot: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.DESTROY — logs are not data. */
  readonly logRemovalPolicy?: RemovalPolicy | undefined;
}

/**
 * One handler of `FUNCTIONS` as a Lambda function: Node.js 22 on ARM64 (x86_64 for
 * a handler with native packages), esbuild bundle, its own role with nothing attached (permissions come only from grants; no
 * managed policy), its own log group with a retention, Powertools configured by
 * environment.
 */
export class PipelineFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const def = props.definition;
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `DubeGrid ${props.name} function`,
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): this group only.
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(props.projectRoot, def.entry),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      // Native packages ship their linux-x64 binary (the one the tests ran); pure bundles run on Graviton.
      architecture: def.nativePackages?.length ? Architecture.X86_64 : Architecture.ARM_64,
      ...(def.ephemeralStorageMiB ? { ephemeralStorageSize: Size.mebibytes(def.ephemeralStorageMiB) } : {}),
      memorySize: def.memoryMiB,
      timeout: Duration.seconds(def.timeoutSeconds),
      description: def.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: handlerBundling(def.nativePackages),
    });

    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime DubeGrid is built and tested for (the bundles target node22); moving to Node.js 24 is a deliberate upgrade with its own test run, not a side effect of a CDK release.',
    );
  }
}
