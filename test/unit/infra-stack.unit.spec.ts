/**
 * The whole stack, synthesized once (bundling skipped): every function, what invokes
 * it, what it may touch, the alarms, the outputs.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp, cdkJsonContext } from '../../infra/build.ts';
import { MissingHandlerError } from '../../infra/bundling/options.ts';
import { CONSUMERS } from '../../src/shared/consumers.ts';
import {
  ASYNC_INVOCATION,
  ENV,
  FUNCTIONS,
  METRICS_NAMESPACE,
  SCHEDULES,
  type FunctionDefinition,
} from '../../src/shared/functions.ts';
import { METRIC } from '../../src/shared/telemetry.ts';
import { COMPACTION } from '../../src/shared/compaction.ts';
import { ASSUMPTIONS } from '../../infra/cost/model.ts';
import { AWS_ONLY, DLQ_SOURCES, PREFIXES, RAW_SUFFIXES, STREAM, TABLES, dlqName } from '../../src/shared/resources.ts';
import { tempDir } from '../support/tmp.ts';
import { execFileSync } from 'node:child_process';
import { cliEnvironment } from '../../infra/stack.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-2';
const BUCKET = `dubegrid-${ACCOUNT}-${REGION}`;
const B = `arn:aws:s3:::${BUCKET}`;
const SPLIT_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${AWS_ONLY.splitContinuationName}`;

const { stack } = buildApp({
  bundling: false,
  cfnValidation: false,
  context: {
    ...cdkJsonContext(),
    account: ACCOUNT,
    region: REGION,
    readingsTtlDays: 90,
    sourceTimeZone: 'Europe/London',
  },
});
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }
>;

type FunctionKey = keyof typeof FUNCTIONS;
/** Logical id of a function by its `FUNCTIONS` key. */
const functionId = (key: FunctionKey): string => {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith(`Functions${FUNCTIONS[key].id}`),
  );
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};
const fnProps = (key: FunctionKey) => resources[functionId(key)]?.Properties as Record<string, unknown>;

/** A readable name for what a policy statement names. */
function label(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(label).join(sep);
  }
  const id = (v['Fn::GetAtt'] as string[] | undefined)?.[0] ?? (v.Ref as string);
  const r = resources[id];
  if (!r) return `<${id}>`;
  const p = r.Properties ?? {};
  const name =
    p.TableName ?? p.QueueName ?? p.TopicName ?? p.Name ?? p.DeliveryStreamName ?? id.replace(/[0-9A-F]{8}$/, '');
  return `${r.Type.split('::')[2]?.toLowerCase()}:${String(name)}`;
}

/** What a role may do: resource → sorted actions. */
function accessOf(roleIdPrefix: string): Record<string, string[]> {
  const policies = Object.values(resources).filter(
    (r) =>
      r.Type === 'AWS::IAM::Policy' &&
      (r.Properties?.Roles as { Ref: string }[]).some((ref) => ref.Ref.startsWith(roleIdPrefix)),
  );
  const out: Record<string, string[]> = {};
  for (const policy of policies) {
    for (const s of (
      policy.Properties?.PolicyDocument as { Statement: { Effect: string; Action: unknown; Resource: unknown }[] }
    ).Statement) {
      expect(s.Effect).toBe('Allow');
      for (const resource of [s.Resource].flat()) {
        const key = label(resource);
        out[key] = [...new Set([...(out[key] ?? []), ...[s.Action as string | string[]].flat()])].sort();
      }
    }
  }
  return out;
}

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const KEY = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];
const S3_READ = ['s3:GetBucket*', 's3:GetObject*', 's3:List*'];
const S3_PUT = [
  's3:Abort*',
  's3:PutObject',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
];
const DLQ_SEND = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
const STREAM_READ = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamConsumer',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
  'kinesis:ListStreams',
  'kinesis:SubscribeToShard',
];
const TABLE_RW = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:UpdateItem',
];
const TABLE_READ = TABLE_RW.filter(
  (a) => !['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].includes(a),
);
const TABLE_WRITE = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];
const logGroup = (key: FunctionKey) => `loggroup:Functions${FUNCTIONS[key].id}Logs`;

describe('functions', () => {
  it.each(Object.keys(FUNCTIONS) as FunctionKey[])(
    '%s: Node.js 22 on ARM64 (x86_64 with native packages), sized as FUNCTIONS says, logging JSON to its own log group',
    (key) => {
      const def: FunctionDefinition = FUNCTIONS[key];
      expect(fnProps(key)).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: [def.nativePackages?.length ? 'x86_64' : 'arm64'],
        Handler: 'index.handler',
        MemorySize: def.memoryMiB,
        Timeout: def.timeoutSeconds,
        Description: def.description,
        LoggingConfig: {
          LogFormat: 'JSON',
          LogGroup: { Ref: expect.stringMatching(new RegExp(`^Functions${def.id}Logs`)) },
        },
      });
      const env = (fnProps(key).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: key,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        [ENV.awsAccount]: ACCOUNT,
      });
    },
  );

  it('hand each handler exactly the environment it reads', () => {
    const own = (key: FunctionKey) => {
      const {
        POWERTOOLS_SERVICE_NAME: _s,
        POWERTOOLS_METRICS_NAMESPACE: _n,
        NODE_OPTIONS: _o,
        [ENV.awsAccount]: _a,
        ...rest
      } = (fnProps(key).Environment as { Variables: Record<string, unknown> }).Variables;
      return rest;
    };
    const topic = { Ref: expect.stringMatching(/^AlertsTopic/) };
    expect(own('splitter')).toEqual({
      [ENV.bucket]: BUCKET,
      [ENV.stream]: STREAM.streamName,
      [ENV.sourceTimeZone]: 'Europe/London',
      [ENV.splitStateMachineArn]: SPLIT_MACHINE_ARN,
    });
    expect(own('state')).toEqual({ [ENV.bucket]: BUCKET, [ENV.readingsTtlDays]: '90' });
    expect(own('anomaly')).toEqual({ [ENV.bucket]: BUCKET, [ENV.alertsTopicArn]: topic });
    expect(own('outbox')).toEqual({ [ENV.bucket]: BUCKET, [ENV.alertsTopicArn]: topic });
    expect(own('registry')).toEqual({ [ENV.bucket]: BUCKET, [ENV.sourceTimeZone]: 'Europe/London' });
    expect(own('compaction')).toEqual({ [ENV.bucket]: BUCKET });
    expect(own('rollups')).toEqual({ [ENV.bucket]: BUCKET });
  });

  it('compaction: DuckDB shipped beside the bundle, x86_64, /tmp for a day partition, a lease that outlives the function', () => {
    expect(FUNCTIONS.compaction.nativePackages).toEqual(['@duckdb/node-api']);
    expect(fnProps('compaction')).toMatchObject({
      Architectures: ['x86_64'],
      EphemeralStorage: { Size: FUNCTIONS.compaction.ephemeralStorageMiB },
    });
    // an expired lease must mean a dead run, never a slow one
    expect(COMPACTION.leaseSeconds).toBeGreaterThan(FUNCTIONS.compaction.timeoutSeconds);
  });

  it('rollups: DuckDB shipped beside the bundle, x86_64, /tmp for the changed days, Lambda’s longest timeout', () => {
    expect(FUNCTIONS.rollups.nativePackages).toEqual(['@duckdb/node-api']);
    expect(fnProps('rollups')).toMatchObject({
      Architectures: ['x86_64'],
      EphemeralStorage: { Size: FUNCTIONS.rollups.ephemeralStorageMiB },
      Timeout: 900,
    });
    // one run may not outlast the next: the period leaves room for the longest run
    expect(FUNCTIONS.rollups.timeoutSeconds).toBeLessThan(SCHEDULES.rollups.minutes * 60);
  });

  it('have roles with no managed policy (not even AWSLambdaBasicExecutionRole)', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role')))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('fail synthesis naming every handler entry that does not exist', async () => {
    const { dir, cleanup } = await tempDir('dubegrid-infra-root-');
    try {
      expect(() =>
        buildApp({ bundling: false, cfnValidation: false, projectRoot: dir, context: cdkJsonContext() }),
      ).toThrow(MissingHandlerError);
      expect(() =>
        buildApp({ bundling: false, cfnValidation: false, projectRoot: dir, context: cdkJsonContext() }),
      ).toThrow(
        new RegExp(
          Object.values(FUNCTIONS)
            .map((f) => f.entry.replace(/\./g, '\\.'))
            .join('.*'),
        ),
      );
    } finally {
      await cleanup();
    }
  });
});

describe('least privilege: what each role may do', () => {
  it('splitter: read raw/ and reference/sources/, write manifests/ and quarantine/ (and delete its stale quarantine object), put records, start its continuation', () => {
    expect(accessOf(`Functions${FUNCTIONS.splitter.id}Role`)).toEqual({
      [logGroup('splitter')]: LOGS,
      [B]: S3_READ,
      [`${B}/${PREFIXES.raw}*`]: S3_READ,
      [`${B}/${PREFIXES.referenceSources}*`]: S3_READ,
      [`${B}/${PREFIXES.manifests}*`]: S3_PUT,
      [`${B}/${PREFIXES.quarantine}*`]: [...S3_PUT, 's3:DeleteObject*'].sort(),
      'key:DataKey': KEY,
      [`stream:${STREAM.streamName}`]: ['kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'],
      [`queue:${dlqName('splitter')}`]: DLQ_SEND,
      [SPLIT_MACHINE_ARN]: ['states:StartExecution'],
    });
  });

  it('split continuation: a Standard state machine that invokes the splitter and nothing else', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: AWS_ONLY.splitContinuationName,
      StateMachineType: 'STANDARD',
    });
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machines).toHaveLength(1);
    const role = (machines[0]!.Properties as { RoleArn: { 'Fn::GetAtt': [string, string] } }).RoleArn['Fn::GetAtt'][0];
    const docs = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap(
        (p) =>
          (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
      );
    expect(docs.flatMap((d) => [d.Action].flat())).toEqual(['lambda:InvokeFunction']);
    expect(JSON.stringify(docs.map((d) => d.Resource))).toContain(FUNCTIONS.splitter.id);
    expect(JSON.stringify(docs.map((d) => d.Resource))).not.toMatch(/StateConsumer|Anomaly|Registry|Outbox/);
  });

  it('split continuation: loops Invoke(splitter) → Choice(done?) → Invoke, retrying a failed part as Lambda retries', () => {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const body = JSON.stringify(machine.Properties.DefinitionString);
    expect(body).toContain('\\"Variable\\":\\"$.done\\",\\"BooleanEquals\\":true');
    expect(body).toContain(`\\"MaxAttempts\\":${ASYNC_INVOCATION.retryAttempts}`);
    expect(body).toContain('\\"continuation.$\\":\\"$.continuation\\"');
  });

  it('state consumer: the readings and latest tables, quarantine/, read reference/sources/ (declared units), the stream, its DLQ', () => {
    expect(accessOf(`Functions${FUNCTIONS.state.id}Role`)).toEqual({
      [logGroup('state')]: LOGS,
      [`table:${TABLES.readings.tableName}`]: TABLE_RW,
      [`table:${TABLES.latest.tableName}`]: TABLE_RW,
      [`${B}/${PREFIXES.quarantine}*`]: S3_PUT,
      [B]: S3_READ,
      [`${B}/${PREFIXES.referenceSources}*`]: S3_READ,
      'key:DataKey': KEY,
      [`stream:${STREAM.streamName}`]: STREAM_READ,
      [`queue:${dlqName(CONSUMERS.state.name)}`]: DLQ_SEND,
    });
  });

  it('anomaly consumer: windows, alerts and feeds (with their indexes), assets read-only, publish alerts, quarantine/ and the alert lake, read reference/sources/ (declared units), the stream, its DLQ', () => {
    expect(accessOf(`Functions${FUNCTIONS.anomaly.id}Role`)).toEqual({
      [logGroup('anomaly')]: LOGS,
      [`table:${TABLES.windows.tableName}`]: TABLE_RW,
      [`table:${TABLES.alerts.tableName}`]: TABLE_RW,
      [`table:${TABLES.alerts.tableName}/index/*`]: TABLE_RW,
      [`table:${TABLES.assets.tableName}`]: TABLE_READ,
      [`table:${TABLES.feeds.tableName}`]: TABLE_RW,
      [`table:${TABLES.feeds.tableName}/index/*`]: TABLE_RW,
      'topic:dubegrid-alerts': ['sns:Publish'],
      [`${B}/${PREFIXES.quarantine}*`]: S3_PUT,
      [`${B}/${PREFIXES.processedAlerts}*`]: S3_PUT,
      [B]: S3_READ,
      [`${B}/${PREFIXES.referenceSources}*`]: S3_READ,
      'key:DataKey': KEY,
      [`stream:${STREAM.streamName}`]: STREAM_READ,
      [`queue:${dlqName(CONSUMERS.anomaly.name)}`]: DLQ_SEND,
    });
  });

  it('outbox sweeper: the alerts table (and its outbox index), publish alerts, the alert lake', () => {
    expect(accessOf(`Functions${FUNCTIONS.outbox.id}Role`)).toEqual({
      [logGroup('outbox')]: LOGS,
      [`table:${TABLES.alerts.tableName}`]: TABLE_RW,
      [`table:${TABLES.alerts.tableName}/index/*`]: TABLE_RW,
      'topic:dubegrid-alerts': ['sns:Publish'],
      [`${B}/${PREFIXES.processedAlerts}*`]: S3_PUT,
      'key:DataKey': KEY,
    });
  });

  it('stale_feed watchdog: the feeds and alerts tables (with their indexes), publish alerts, the alert lake', () => {
    expect(accessOf(`Functions${FUNCTIONS.watchdog.id}Role`)).toEqual({
      [logGroup('watchdog')]: LOGS,
      [`table:${TABLES.feeds.tableName}`]: TABLE_RW,
      [`table:${TABLES.feeds.tableName}/index/*`]: TABLE_RW,
      [`table:${TABLES.alerts.tableName}`]: TABLE_RW,
      [`table:${TABLES.alerts.tableName}/index/*`]: TABLE_RW,
      'topic:dubegrid-alerts': ['sns:Publish'],
      [`${B}/${PREFIXES.processedAlerts}*`]: S3_PUT,
      'key:DataKey': KEY,
    });
  });

  it('registry loader: read reference/assets/, reference/mapped/ and the mappings, write the assets table and its rejected rows to quarantine/', () => {
    expect(accessOf(`Functions${FUNCTIONS.registry.id}Role`)).toEqual({
      [logGroup('registry')]: LOGS,
      [B]: S3_READ,
      [`${B}/${PREFIXES.referenceAssets}*`]: S3_READ,
      [`${B}/${PREFIXES.referenceMapped}*`]: S3_READ,
      [`${B}/${PREFIXES.referenceSources}*`]: S3_READ,
      [`${B}/${PREFIXES.quarantine}*`]: S3_PUT,
      [`table:${TABLES.assets.tableName}`]: TABLE_WRITE,
      'key:DataKey': KEY,
      [`queue:${dlqName('registry')}`]: DLQ_SEND,
    });
  });

  it('compaction: read, write and delete under processed/readings/ only, and its leases', () => {
    expect(accessOf(`Functions${FUNCTIONS.compaction.id}Role`)).toEqual({
      [logGroup('compaction')]: LOGS,
      [B]: S3_READ,
      [`${B}/${PREFIXES.processed}*`]: [...new Set([...S3_READ, ...S3_PUT, 's3:DeleteObject*'])].sort(),
      [`table:${TABLES.leases.tableName}`]: TABLE_RW,
      'key:DataKey': KEY,
    });
  });

  it('rollups: read processed/readings/, read, write and delete under processed/rollups/ only; read the registry (interval_minutes); no Glue', () => {
    expect(accessOf(`Functions${FUNCTIONS.rollups.id}Role`)).toEqual({
      [logGroup('rollups')]: LOGS,
      [B]: S3_READ,
      [`${B}/${PREFIXES.processed}*`]: S3_READ,
      [`${B}/${PREFIXES.processedRollups}*`]: [...new Set([...S3_READ, ...S3_PUT, 's3:DeleteObject*'])].sort(),
      [`table:${TABLES.assets.tableName}`]: TABLE_READ,
      'key:DataKey': KEY,
    });
  });

  it('no IAM policy anywhere grants a `*` or `service:*` action, or any action on `*`', () => {
    const docs = [
      ...Object.values(template.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument),
      ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((p) => p.Properties.PolicyDocument),
      ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((r) =>
        (r.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => p.PolicyDocument),
      ),
    ] as { Statement: { Action: string | string[]; Resource: unknown }[] }[];
    expect(docs.length).toBeGreaterThan(0);
    for (const s of docs.flatMap((d) => d.Statement)) {
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
      expect([s.Resource].flat()).not.toContain('*');
    }
  });

  it('the key policy spells out its actions too (no kms:*), and lets CloudWatch alarms use the key for the ops topic', () => {
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    const statements = key?.Properties.KeyPolicy.Statement as {
      Action: string[];
      Principal: Record<string, unknown>;
    }[];
    for (const s of statements) expect(s.Action).not.toContain('kms:*');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      }),
    );
    expect(key?.Properties.EnableKeyRotation).toBe(true);
  });
});

describe('what invokes what', () => {
  it.each([CONSUMERS.state, CONSUMERS.anomaly])(
    'the $name consumer’s event source mapping is built from CONSUMERS.$name, failures to its DLQ',
    (s) => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionId(s.name) },
        EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Stream'), 'Arn'] },
        StartingPosition: s.startingPosition,
        BatchSize: s.batchSize,
        MaximumBatchingWindowInSeconds: s.maxBatchingWindowSeconds,
        MaximumRetryAttempts: s.retryAttempts,
        BisectBatchOnFunctionError: s.bisectBatchOnError,
        MaximumRecordAgeInSeconds: s.maxRecordAgeSeconds,
        ParallelizationFactor: s.parallelizationFactor,
        FunctionResponseTypes: s.reportBatchItemFailures ? ['ReportBatchItemFailures'] : Match.absent(),
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^DeadLetters${s.name}`), 'Arn'] } },
        },
      });
    },
  );

  it('there is one event source mapping per consumer, and none for anything else', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', Object.keys(CONSUMERS).length);
  });

  it('S3 invokes the splitter for every raw suffix under raw/ and the registry loader under reference/assets/ and reference/mapped/', () => {
    const [bucket] = Object.values(template.findResources('AWS::S3::Bucket', { Properties: { BucketName: BUCKET } }));
    const configs = bucket?.Properties.NotificationConfiguration.LambdaConfigurations as {
      Event: string;
      Filter: unknown;
      Function: unknown;
    }[];
    const expected = [
      ...RAW_SUFFIXES.map((suffix) => ({
        key: 'splitter' as const,
        rules: [
          { Name: 'prefix', Value: PREFIXES.raw },
          { Name: 'suffix', Value: suffix },
        ],
      })),
      { key: 'registry' as const, rules: [{ Name: 'prefix', Value: PREFIXES.referenceAssets }] },
      { key: 'registry' as const, rules: [{ Name: 'prefix', Value: PREFIXES.referenceMapped }] },
    ];
    expect(configs).toEqual(
      expected.map((e) => ({
        Event: 's3:ObjectCreated:*',
        Filter: { S3Key: { Rules: e.rules } },
        Function: { 'Fn::GetAtt': [functionId(e.key), 'Arn'] },
      })),
    );
  });

  it.each(['splitter', 'registry'] as const)(
    'the S3-invoked %s retries as ASYNC_INVOCATION says, then lists the failure on its DLQ',
    (key) => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId(key) },
        MaximumRetryAttempts: ASYNC_INVOCATION.retryAttempts,
        MaximumEventAgeInSeconds: ASYNC_INVOCATION.maxEventAgeSeconds,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^DeadLetters${key}`), 'Arn'] } },
        },
      });
    },
  );

  it('a schedule runs the stale_feed watchdog every 5 minutes, without retries (the next run is the retry)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId('watchdog'), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
        },
      ],
    });
  });

  it('a schedule runs the outbox sweeper every minute, without retries (the next sweep is the retry)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId('outbox'), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId('outbox') },
      MaximumRetryAttempts: 0,
    });
  });

  it('a daily schedule runs the compaction without retries (the next run completes a failed one)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `cron(0 ${COMPACTION.dailyAtUtcHour} * * ? *)`,
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId('compaction'), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 3600 },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId('compaction') },
      MaximumRetryAttempts: 0,
    });
  });

  it('a schedule runs the rollups every SCHEDULES.rollups period (the embedded timer’s), without retries (the next run is the retry)', () => {
    expect(SCHEDULES.rollups.minutes).toBe(60);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId('rollups'), 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: SCHEDULES.rollups.minutes * 60 },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId('rollups') },
      MaximumRetryAttempts: 0,
    });
  });

  it('every scheduled function has exactly one rule, and nothing else invokes it', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    const targetsOf = (key: FunctionKey) =>
      rules.filter((r) =>
        (r.Properties.Targets as { Arn: { 'Fn::GetAtt': string[] } }[]).some(
          (t) => t.Arn['Fn::GetAtt']?.[0] === functionId(key),
        ),
      );
    for (const key of ['outbox', 'compaction', 'rollups', 'watchdog'] as const)
      expect(targetsOf(key), key).toHaveLength(1);
    expect(rules).toHaveLength(4);
    const mapped = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map(
      (m) => (m.Properties.FunctionName as { Ref: string }).Ref,
    );
    for (const key of ['outbox', 'compaction', 'rollups', 'watchdog'] as const)
      expect(mapped).not.toContain(functionId(key));
  });

  it('one named, encrypted, TLS-only dead-letter queue per failure source', () => {
    expect(DLQ_SOURCES).toEqual(['splitter', 'registry', CONSUMERS.state.name, CONSUMERS.anomaly.name]);
    for (const source of DLQ_SOURCES) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: dlqName(source),
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    }
    template.resourceCountIs('AWS::SQS::QueuePolicy', DLQ_SOURCES.length);
  });
});

describe('observability', () => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (a) => a.Properties as Record<string, unknown>,
  );
  const alarm = (name: string) => alarms.find((a) => a.AlarmName === `dubegrid-${name}`);

  it('every alarm notifies the operations topic, on alarm and on recovery', () => {
    const opsTopic = { Ref: expect.stringMatching(/^ObservabilityOpsTopic/) };
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([opsTopic]);
      expect(a.OKActions).toEqual([opsTopic]);
    }
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: AWS_ONLY.opsTopicName,
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
    });
  });

  it('watches consumer lag, dead letters, errors, throttles, stream throttling, Firehose delivery and undeliverable alerts', () => {
    const names = alarms.map((a) => a.AlarmName).sort();
    const expected = [
      ...Object.values(CONSUMERS).map((c) => `dubegrid-iterator-age-${c.name}`),
      'dubegrid-stream-iterator-age',
      'dubegrid-stream-write-throttled',
      ...DLQ_SOURCES.map((s) => `dubegrid-dlq-${s}`),
      ...Object.keys(FUNCTIONS).flatMap((k) => [`dubegrid-errors-${k}`, `dubegrid-throttles-${k}`]),
      'dubegrid-lake-delivery-freshness',
      'dubegrid-lake-delivery-failures',
      'dubegrid-lake-conversion-failures',
      'dubegrid-lake-partition-limit',
      'dubegrid-alerts-undeliverable',
      'dubegrid-alerts-publish-failing',
      'dubegrid-split-continuation-failed',
    ].sort();
    expect(names).toEqual(expected);
  });

  it('has as many alarms as the cost model prices', () => {
    expect(alarms).toHaveLength(ASSUMPTIONS.alarms);
  });

  it('alarms on each consumer’s iterator age when it is sustained for 5 minutes', () => {
    expect(alarm(`iterator-age-${CONSUMERS.state.name}`)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId('state') } }],
      Statistic: 'Maximum',
      Threshold: 10 * 60 * 1000,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms as soon as a dead-letter queue holds anything', () => {
    expect(alarm(`dlq-${CONSUMERS.anomaly.name}`)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^DeadLettersanomaly/), 'QueueName'] } },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on Firehose conversion failures and on the active-partition limit of a wide backfill', () => {
    for (const [name, metric] of [
      ['lake-conversion-failures', 'FailedConversion.Records'],
      ['lake-partition-limit', 'PartitionCountExceeded'],
    ]) {
      expect(alarm(name as string)).toMatchObject({
        Namespace: 'AWS/Firehose',
        MetricName: metric,
        Dimensions: [{ Name: 'DeliveryStreamName', Value: 'dubegrid-lake' }],
      });
    }
  });

  it("alarms when alert notifications stay unpublished for 15 minutes, from the handlers' own Powertools counts", () => {
    const a = alarm('alerts-publish-failing') as {
      Metrics: { Id: string; Expression?: string; MetricStat?: { Metric: Record<string, unknown>; Stat: string } }[];
      EvaluationPeriods: number;
    };
    expect(a.EvaluationPeriods).toBe(3);
    expect(a.Metrics.find((m) => m.Expression)?.Expression).toBe('consumer + sweeper');
    const stats = a.Metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat!);
    expect(stats.map((m) => [m.Metric.Namespace, m.Metric.MetricName, m.Metric.Dimensions, m.Stat])).toEqual([
      [METRICS_NAMESPACE, METRIC.publishFailures, [{ Name: 'service', Value: 'anomaly' }], 'Sum'],
      [METRICS_NAMESPACE, METRIC.publishFailures, [{ Name: 'service', Value: 'outbox' }], 'Sum'],
    ]);
  });

  it("has a dashboard that graphs the handlers' Powertools counts by service", () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: AWS_ONLY.dashboardName });
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties?.DashboardBody,
    );
    for (const [service, name] of [
      ['splitter', METRIC.rowsQuarantined],
      ['state', METRIC.recordsFailed],
      ['anomaly', METRIC.readingsLate],
      ['outbox', METRIC.publishFailures],
      ['registry', METRIC.assetFilesFailed],
    ]) {
      expect(body).toContain(`[\\"${METRICS_NAMESPACE}\\",\\"${name}\\",\\"service\\",\\"${service}\\"`);
    }
  });
});

describe('the template as a whole', () => {
  it('has no dependency cycle (the bucket waits for the invoke permissions; nothing it invokes depends on it)', () => {
    const graph = new Map<string, Set<string>>();
    const refs = (node: unknown, into: Set<string>): Set<string> => {
      if (Array.isArray(node)) for (const n of node) refs(n, into);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'Ref' && typeof v === 'string' && resources[v]) into.add(v);
          else if (k === 'Fn::GetAtt') into.add((v as string[])[0] as string);
          else refs(v, into);
        }
      }
      return into;
    };
    for (const [id, r] of Object.entries(resources))
      graph.set(id, refs(r.Properties ?? {}, new Set([r.DependsOn ?? []].flat())));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[][] = [];
    const visit = (id: string, path: string[]): void => {
      state.set(id, 'visiting');
      for (const next of graph.get(id) ?? []) {
        if (state.get(next) === 'visiting') cycles.push([...path, id, next]);
        else if (!state.has(next)) visit(next, [...path, id]);
      }
      state.set(id, 'done');
    };
    for (const id of graph.keys()) if (!state.has(id)) visit(id, []);
    expect(cycles).toEqual([]);
    const [bucketId] = Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { BucketName: BUCKET } }));
    expect(resources[bucketId as string]?.DependsOn).toEqual([
      expect.stringMatching(/InvokePermission/),
      expect.stringMatching(/InvokePermission/),
    ]);
  });

  it('tells the operator how to point the CLI at it', () => {
    // this stack is deployed with a source time zone and a readings TTL (the context above): the CLI gets both
    template.hasOutput('CliEnvironment', {
      Value: `AWS_REGION=${REGION} ${ENV.awsAccount}=${ACCOUNT} ${ENV.sourceTimeZone}=Europe/London ${ENV.readingsTtlDays}=90`,
    });
    template.hasOutput('BucketName', { Value: BUCKET });
  });

  it('hands the CLI the settings the handlers were deployed with, as words a shell reads back exactly', () => {
    const rules = `{"overload":{"warningPct":95},"note":"it's"}`;
    const line = cliEnvironment(REGION, ACCOUNT, {
      sourceTimeZone: 'Europe/London',
      readingsTtlDays: 90,
      anomalyRules: rules,
    });
    const printed = execFileSync(
      '/bin/sh',
      [
        '-c',
        `export ${line}; printf '%s\\n' "$AWS_REGION" "$${ENV.awsAccount}" "$${ENV.sourceTimeZone}" "$${ENV.readingsTtlDays}" "$${ENV.anomalyRules}"`,
      ],
      { encoding: 'utf8' },
    );
    expect(printed.split('\n').slice(0, 5)).toEqual([REGION, ACCOUNT, 'Europe/London', '90', rules]);
  });
});
