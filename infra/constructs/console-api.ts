/**
 * The console and its HTTP API on AWS:
 * - the API's Lambda (`API_FUNCTION`, the same Hono app as the embedded server) behind
 *   an API Gateway HTTP API; every route but `/api/health` behind a Cognito JWT
 *   authorizer; stage throttling; CORS for the console's origin only; access logs
 *   without headers (a bearer token never lands in them);
 * - a Cognito user pool (no self sign-up: the operator adds users) and a public app
 *   client for the hosted UI with the authorization-code flow (PKCE in the console);
 * - the API's own Athena workgroup with a bytes-scanned cutoff per query (IAM cannot
 *   restrict Athena to named queries, so the workgroup bounds what a request can cost);
 * - the console's site: a private bucket behind CloudFront with origin access control,
 *   the stack generates its `config.json` (output `ConsoleConfig`).
 * Grants: the tables read-only, the lake and registry through Athena in that workgroup.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CorsHttpMethod, HttpApi, HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { Distribution, ViewerProtocolPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Mfa, OAuthScope, UserPool } from 'aws-cdk-lib/aws-cognito';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { API_FUNCTION, ENV } from '../../src/shared/functions.ts';
import { ATHENA_ENGINE_VERSION } from '../../src/shared/glue.ts';
import { ATHENA, GLUE, PREFIXES, type TableKey } from '../../src/shared/resources.ts';
import { acknowledge, acknowledgeActions, acknowledgeResources, GRANT_ACTION_PATTERNS } from '../nag.ts';
import { PipelineFunction } from './pipeline-function.ts';

/** Where the API's Athena results go, apart from the operators'. */
export const API_RESULTS_PREFIX = `${PREFIXES.athenaResults}api/`;

/** The tables the API reads (never writes); `feeds` only to learn whether the stale_feed watchdog runs. */
export const API_TABLES = ['latest', 'readings', 'assets', 'alerts', 'feeds'] as const satisfies readonly TableKey[];

const INDEX_READS: Partial<Record<(typeof API_TABLES)[number], string>> = {
  alerts: 'The indexes of the alerts table (by day, stored time, outbox), read-only, which its read grant includes.',
  feeds: 'The by_kind index of the feeds table (shard watermarks), read-only, which its read grant includes.',
};

/** Stage throttling: a console session makes a handful of requests a second at most. */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

export interface ConsoleApiProps {
  readonly projectRoot: string;
  readonly bucketName: string;
  /** The data bucket by name (its grants must not depend on the bucket resource). */
  readonly bucket: IBucket;
  readonly key: IKey;
  readonly tables: { readonly [K in TableKey]: Table };
  readonly logRetention: RetentionDays;
  readonly readingsTtlDays?: number | undefined;
}

export class ConsoleApi extends Construct {
  readonly api: HttpApi;
  readonly fn: PipelineFunction;
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly distribution: Distribution;
  readonly siteBucket: Bucket;
  readonly workGroup: CfnWorkGroup;
  readonly hostedUiDomain: string;

  constructor(scope: Construct, id: string, props: ConsoleApiProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // ---- the site: private bucket, CloudFront with origin access control
    this.siteBucket = new Bucket(this, 'SiteBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.siteBucket,
      'AwsSolutions-S1',
      'The console bucket holds only the public single-page app build; CloudFront is its only reader.',
    );
    this.distribution = new Distribution(this, 'Site', {
      defaultBehavior: {
        // @ts-expect-error -- a Bucket is no IBucket under exactOptionalPropertyTypes, aws/aws-cdk#37996; the directive fails once aws-cdk-lib is fixed
        origin: S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      },
      defaultRootObject: 'index.html',
      comment: 'DubeGrid console',
    });
    acknowledge(this.distribution, 'AwsSolutions-CFR1', 'The operators decide where the console may be used from.');
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'A static console with no server side; the API is authenticated.',
    );
    acknowledge(this.distribution, 'AwsSolutions-CFR3', 'Static files only; API calls are logged at API Gateway.');
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The default CloudFront certificate; a custom domain with TLS 1.2+ is the operator’s to add.',
    );
    const origin = `https://${this.distribution.distributionDomainName}`;

    // ---- sign-in: Cognito user pool, hosted UI, authorization code (+ PKCE in the console)
    this.userPool = new UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      // the console shows the whole network: an authenticator app on top of the password
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.userPool, 'AwsSolutions-COG3', 'Threat protection is a paid Cognito plan, left to the operator.');
    acknowledge(
      this.userPool,
      'AwsSolutions-COG8',
      'The Plus feature plan (threat protection) is a paid choice left to the operator.',
    );
    this.client = this.userPool.addClient('Console', {
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL],
        callbackUrls: [`${origin}/`],
        logoutUrls: [`${origin}/`],
      },
      preventUserExistenceErrors: true,
    });
    const domain = this.userPool.addDomain('HostedUi', {
      cognitoDomain: { domainPrefix: `dubegrid-${stack.account}` },
    });
    this.hostedUiDomain = `${domain.domainName}.auth.${stack.region}.amazoncognito.com`;

    // ---- the API's own Athena workgroup
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: ATHENA.apiWorkgroup,
      description: 'DubeGrid HTTP API: named queries only, each bounded by the bytes-scanned cutoff',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: ATHENA.apiBytesScannedCutoff,
        engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
        resultConfiguration: {
          outputLocation: `s3://${props.bucketName}/${API_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });

    // ---- the function and exactly what it may read
    this.fn = new PipelineFunction(this, API_FUNCTION.id, {
      name: 'api',
      definition: API_FUNCTION,
      projectRoot: props.projectRoot,
      environment: {
        [ENV.awsAccount]: stack.account,
        ...(props.readingsTtlDays !== undefined ? { [ENV.readingsTtlDays]: String(props.readingsTtlDays) } : {}),
      },
      logRetention: props.logRetention,
    });
    const role = this.fn.role;
    for (const key of API_TABLES) {
      const table = props.tables[key];
      table.grantReadData(role);
      const why = INDEX_READS[key];
      if (why) acknowledgeResources(role, [`${table.tableArn}/index/*`], why);
    }
    const workGroupArn = stack.formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: ATHENA.apiWorkgroup,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
        ],
        resources: [workGroupArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: GLUE.databaseName }),
          stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${GLUE.databaseName}/*` }),
        ],
      }),
    );
    acknowledgeResources(
      role,
      [stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${GLUE.databaseName}/*` })],
      'The tables and views of the DubeGrid Glue database, read by Athena on the API’s behalf.',
    );
    // Athena reads the lake, its rollups and the registry files, and writes results, as the caller;
    // the long series also HEADs the rollups to see which days are current.
    const lakeRead = [
      PREFIXES.processed,
      PREFIXES.processedRollups,
      PREFIXES.processedAlerts,
      PREFIXES.referenceAssets,
      API_RESULTS_PREFIX,
    ];
    for (const prefix of lakeRead) props.bucket.grantRead(role, `${prefix}*`);
    props.bucket.grantPut(role, `${API_RESULTS_PREFIX}*`);
    props.key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey*');
    acknowledgeActions(
      role,
      [...GRANT_ACTION_PATTERNS.s3Read, ...GRANT_ACTION_PATTERNS.s3Put, ...GRANT_ACTION_PATTERNS.kms],
      'Grant patterns CDK emits for reading the lake zones and writing Athena results under the API’s prefix only.',
    );
    acknowledgeResources(
      role,
      lakeRead.map((p) => props.bucket.arnForObjects(`${p}*`)),
      'Objects under the lake, rollups, alerts, registry and API-results zones only.',
    );

    // ---- the HTTP API
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: 'dubegrid-api',
      description: 'DubeGrid console API',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [origin],
        allowMethods: [CorsHttpMethod.GET],
        allowHeaders: ['authorization', 'content-type'],
        maxAge: Duration.hours(1),
      },
    });
    this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      // requestId, route, status, latency: no headers, so no token is ever logged
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    const integration = new HttpLambdaIntegration('App', this.fn.fn);
    const authorizer = new HttpUserPoolAuthorizer('Cognito', this.userPool, { userPoolClients: [this.client] });
    const [health] = this.api.addRoutes({ path: '/api/health', methods: [HttpMethod.GET], integration });
    if (health)
      acknowledge(
        health,
        'AwsSolutions-APIG4',
        'Liveness only (no data): the one route the issue leaves without auth.',
      );
    this.api.addRoutes({ path: '/api/{proxy+}', methods: [HttpMethod.GET], integration, authorizer });

    // ---- the console's files and config.json
    const config = {
      target: 'aws',
      api_url: this.api.apiEndpoint,
      user_pool_id: this.userPool.userPoolId,
      app_client_id: this.client.userPoolClientId,
      hosted_ui_domain: this.hostedUiDomain,
    };
    // Not a BucketDeployment: its provider function carries a managed policy and actions on `*`,
    // which this stack allows nowhere. The stack generates config.json as an output;
    // `docs/api.md` gives the two copy commands that publish it and the console build.
    new CfnOutput(this, 'ConsoleConfig', {
      value: stack.toJsonString(config),
      description: `Write this to config.json in the site bucket, next to the console build`,
    });
    new CfnOutput(this, 'SiteBucketName', { value: this.siteBucket.bucketName });
    new CfnOutput(this, 'ConsoleUrl', { value: `${origin}/`, description: 'The DubeGrid console' });
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'The DubeGrid HTTP API' });
    new CfnOutput(this, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description: 'Add console users here (no self sign-up)',
    });
  }
}
