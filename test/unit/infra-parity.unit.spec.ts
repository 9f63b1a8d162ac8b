/**
 * The AWS stack and the embedded stack create the same resources: every name and key
 * schema in the synthesized template equals both the shared definition and what the
 * embedded bootstrap sends to its emulators (`bootstrapPlan`), and each scheduled job's
 * EventBridge rule runs at the period of its embedded timer. A difference in either
 * direction fails here.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import { buildApp, cdkJsonContext } from '../../infra/build.ts';
import { bootstrapPlan } from '../../src/local/bootstrap.ts';
import { silentLog, type ServiceContext } from '../../src/local/service.ts';
import { rollupsService } from '../../src/local/services/rollups.ts';
import { COMPACTION } from '../../src/shared/compaction.ts';
import { FUNCTIONS, SCHEDULES } from '../../src/shared/functions.ts';
import { FACT_TABLES, READINGS_COLUMNS } from '../../src/shared/glue.ts';
import {
  GLUE,
  LAKE_DELIVERY,
  LOCAL_ACCOUNT,
  LOCAL_NAMES,
  PREFIXES,
  LOCAL_REGION,
  STREAM,
  TABLES,
  TOPICS,
  DLQ_SOURCES,
  bucketName,
  dlqName,
  resourceNames,
} from '../../src/shared/resources.ts';

const ACCOUNT = '210987654321';
const REGION = 'eu-west-2';
const { stack } = buildApp({
  bundling: false,
  cfnValidation: false,
  context: { ...cdkJsonContext(), account: ACCOUNT, region: REGION },
});
const template = Template.fromStack(stack);
const props = (type: string) =>
  Object.values(template.findResources(type)).map((r) => r.Properties as Record<string, unknown>);

/** What the bootstrap would create for this deployment's names, and what it creates locally. */
const aws = bootstrapPlan(resourceNames(ACCOUNT, REGION));
const local = bootstrapPlan(LOCAL_NAMES);

type KeyElement = { AttributeName: string; KeyType: string };
type Attribute = { AttributeName: string; AttributeType: string };
const sortAttributes = (a: readonly Attribute[] = []) =>
  [...a].sort((x, y) => x.AttributeName.localeCompare(y.AttributeName));

describe('names: CDK stack = shared definitions = embedded bootstrap', () => {
  it('the bucket is bucketName(account, region) on both targets', () => {
    const names = props('AWS::S3::Bucket')
      .map((p) => p.BucketName)
      .filter(Boolean);
    expect(names).toEqual([bucketName(ACCOUNT, REGION)]);
    expect(names).toEqual([aws.bucket.Bucket]);
    expect(local.bucket.Bucket).toBe(bucketName(LOCAL_ACCOUNT, LOCAL_REGION));
  });

  it('the stream', () => {
    const [stream] = props('AWS::Kinesis::Stream');
    expect(stream?.Name).toBe(STREAM.streamName);
    expect(stream?.Name).toBe(aws.stream.StreamName);
    expect(local.stream.StreamName).toBe(STREAM.streamName);
    expect(stream?.RetentionPeriodHours).toBe(STREAM.retentionHours);
  });

  it('the tables: the same set on both targets', () => {
    const cdk = props('AWS::DynamoDB::Table')
      .map((t) => t.TableName)
      .sort();
    expect(cdk).toEqual(aws.tables.map((t) => t.create.TableName).sort());
    expect(cdk).toEqual(local.tables.map((t) => t.create.TableName).sort());
    expect(cdk).toEqual(
      Object.values(TABLES)
        .map((t) => t.tableName)
        .sort(),
    );
  });

  it('the alerts topic', () => {
    expect(props('AWS::SNS::Topic').map((t) => t.TopicName)).toContain(TOPICS.alerts.topicName);
    expect(resourceNames(ACCOUNT, REGION).alertsTopic).toBe(TOPICS.alerts.topicName);
  });

  it('the AWS-only resources the CLI looks up by name: dead-letter queues, delivery stream, Glue database and tables', () => {
    expect(
      props('AWS::SQS::Queue')
        .map((q) => q.QueueName)
        .sort(),
    ).toEqual(DLQ_SOURCES.map(dlqName).sort());
    expect(props('AWS::KinesisFirehose::DeliveryStream').map((d) => d.DeliveryStreamName)).toEqual([
      LAKE_DELIVERY.deliveryStreamName,
    ]);
    expect(props('AWS::Glue::Database').map((d) => (d.DatabaseInput as { Name: string }).Name)).toEqual([
      GLUE.databaseName,
    ]);
    expect(
      props('AWS::Glue::Table')
        .map((t) => (t.TableInput as { Name: string }).Name)
        .sort(),
    ).toEqual(
      [
        GLUE.tableName,
        GLUE.viewName,
        GLUE.assetsTableName,
        GLUE.alertsTableName,
        GLUE.hourlyTableName,
        GLUE.dailyTableName,
        GLUE.intervalFactsTableName,
        GLUE.gapFactsTableName,
      ].sort(),
    );
  });
});

describe('schemas: each table is keyed, indexed and expired exactly as the bootstrap creates it', () => {
  it.each(aws.tables.map((t) => [t.create.TableName as string, t] as const))('%s', (tableName, plan) => {
    const cdk = props('AWS::DynamoDB::Table').find((t) => t.TableName === tableName);
    expect(cdk).toBeDefined();
    expect(cdk?.KeySchema).toEqual(plan.create.KeySchema);
    expect(sortAttributes(cdk?.AttributeDefinitions as Attribute[])).toEqual(
      sortAttributes(plan.create.AttributeDefinitions as Attribute[]),
    );
    expect(cdk?.BillingMode).toBe(plan.create.BillingMode);
    const cdkIndexes = (
      (cdk?.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: KeyElement[]; Projection: unknown }[]
    ).map((i) => ({
      IndexName: i.IndexName,
      KeySchema: i.KeySchema,
      Projection: i.Projection,
    }));
    expect(cdkIndexes).toEqual(plan.create.GlobalSecondaryIndexes ?? []);
    expect(cdk?.TimeToLiveSpecification).toEqual(plan.timeToLive?.TimeToLiveSpecification);
  });

  it('the local bootstrap creates the same table schemas as for AWS (only the bucket name differs between targets)', () => {
    expect(local.tables).toEqual(aws.tables);
    expect(local.stream).toEqual(aws.stream);
  });

  it('the lake’s Parquet columns are the shared column list', () => {
    const table = props('AWS::Glue::Table').find((t) => (t.TableInput as { Name: string }).Name === GLUE.tableName);
    const columns = (table?.TableInput as { StorageDescriptor: { Columns: { Name: string; Type: string }[] } })
      .StorageDescriptor.Columns;
    expect(columns).toEqual(READINGS_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })));
  });

  it.each(Object.values(FACT_TABLES).map((t) => [t.tableName, t] as const))(
    'the fact layer table %s has its shared columns, partitioned by y/m/d, under its prefix',
    (name, fact) => {
      const table = props('AWS::Glue::Table').find((t) => (t.TableInput as { Name: string }).Name === name);
      const input = table?.TableInput as {
        StorageDescriptor: { Columns: { Name: string; Type: string }[]; Location: unknown };
        PartitionKeys: { Name: string }[];
      };
      expect(input.StorageDescriptor.Columns).toEqual(fact.columns.map((c) => ({ Name: c.name, Type: c.type })));
      expect(input.PartitionKeys.map((k) => k.Name)).toEqual(['y', 'm', 'd']);
      expect(JSON.stringify(input.StorageDescriptor.Location)).toContain(fact.prefix);
      expect(fact.prefix.startsWith(PREFIXES.processedRollups)).toBe(true);
    },
  );
});

describe('schedules: the embedded timers run the scheduled jobs at the EventBridge rules’ periods', () => {
  /** The rate expression of the rule that targets the function whose logical id starts with `id`. */
  const rateOf = (id: string): string | undefined => {
    const fn = Object.keys(template.findResources('AWS::Lambda::Function')).find((k) => k.startsWith(`Functions${id}`));
    const rule = props('AWS::Events::Rule').find((r) =>
      (r.Targets as { Arn: { 'Fn::GetAtt'?: string[] } }[]).some((t) => t.Arn['Fn::GetAtt']?.[0] === fn),
    );
    return rule?.ScheduleExpression as string | undefined;
  };
  const rate = (minutes: number): string =>
    minutes % 60 === 0
      ? `rate(${minutes / 60} hour${minutes === 60 ? '' : 's'})`
      : `rate(${minutes} minute${minutes === 1 ? '' : 's'})`;

  it('the rollups: the `rollups` service’s timer and the LakeRollups rule, both SCHEDULES.rollups', async () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    const ctx = { clients: { s3: {}, names: { bucket: 'b' } }, log: silentLog } as unknown as ServiceContext;
    const service = rollupsService(ctx);
    try {
      await service.start();
      expect(spy).toHaveBeenCalledWith(expect.any(Function), SCHEDULES.rollups.minutes * 60_000);
    } finally {
      await service.stop();
      spy.mockRestore();
    }
    expect(rateOf(FUNCTIONS.rollups.id)).toBe(rate(SCHEDULES.rollups.minutes));
  });

  it('the stale_feed watchdog: the rule’s period is SCHEDULES.watchdog, the anomaly service’s timer', () => {
    expect(rateOf(FUNCTIONS.watchdog.id)).toBe(rate(SCHEDULES.watchdog.minutes));
  });

  it('the compaction: daily at COMPACTION.dailyAtUtcHour on AWS (the embedded timer looks more often, for quiet partitions)', () => {
    expect(rateOf(FUNCTIONS.compaction.id)).toBe(`cron(0 ${COMPACTION.dailyAtUtcHour} * * ? *)`);
  });
});
