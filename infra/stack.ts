import { CfnOutput, Duration, RemovalPolicy, Size, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CONSUMERS } from '../src/shared/consumers.ts';
import { ENV } from '../src/shared/functions.ts';
import { ATHENA, DLQ_SOURCES, STREAM } from '../src/shared/resources.ts';
import type { DeployConfig } from './config.ts';
import { AlertsTopic } from './constructs/alerts.ts';
import { ConsoleApi } from './constructs/console-api.ts';
import { DeadLetters } from './constructs/dead-letters.ts';
import { DataKey } from './constructs/encryption.ts';
import { LakeDelivery } from './constructs/firehose.ts';
import { PipelineFunctions } from './constructs/functions.ts';
import { LakeCatalog } from './constructs/lake.ts';
import { Observability } from './constructs/observability.ts';
import { DataStorage } from './constructs/storage.ts';
import { ReadingsStream } from './constructs/stream.ts';
import { PipelineTables } from './constructs/tables.ts';
import { SplitContinuation } from './constructs/split-continuation.ts';
import { PipelineTriggers } from './constructs/triggers.ts';

export interface DubeGridStackProps extends StackProps {
  readonly config: DeployConfig;
  /** The repository root: handler entries in `FUNCTIONS` are relative to it. */
  readonly projectRoot: string;
}

/** The whole pipeline on AWS, every name and setting from `src/shared/`. */
export class DubeGridStack extends Stack {
  constructor(scope: Construct, id: string, props: DubeGridStackProps) {
    super(scope, id, props);
    const c = props.config;
    const dataRemoval = c.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = c.logRetentionDays as RetentionDays;
    Tags.of(this).add('project', 'dubegrid');

    const { key } = new DataKey(this, 'DataKey', { removalPolicy: dataRemoval });
    const storage = new DataStorage(this, 'Storage', {
      key,
      rawInfrequentAccessDays: c.rawInfrequentAccessDays,
      rawArchiveDays: c.rawArchiveDays,
      quarantineExpiryDays: c.quarantineExpiryDays,
      athenaResultsExpiryDays: c.athenaResultsExpiryDays,
      objectLockDays: c.objectLockDays,
      removalPolicy: dataRemoval,
    });
    const { stream } = new ReadingsStream(this, 'Stream', {
      shards: c.streamShards,
      retentionHours: c.retentionHours,
    });
    const { tables } = new PipelineTables(this, 'Tables', { key, removalPolicy: dataRemoval });
    const alerts = new AlertsTopic(this, 'Alerts', {
      key,
      email: c.alertEmail,
      severities: c.alertSeverities,
    });
    const deadLetters = new DeadLetters(this, 'DeadLetters', { key, sources: DLQ_SOURCES });

    const { functions } = new PipelineFunctions(this, 'Functions', {
      projectRoot: props.projectRoot,
      bucketName: storage.bucketName,
      bucket: storage.byName,
      stream,
      tables,
      alertsTopic: alerts.topic,
      logRetention,
      readingsTtlDays: c.readingsTtlDays,
      anomalyRules: c.anomalyRules,
      sourceTimeZone: c.sourceTimeZone,
      compactQuietMinutes: c.compactQuietMinutes,
    });
    new PipelineTriggers(this, 'Triggers', { functions, storage, stream, deadLetters });
    // a file longer than one splitter invocation goes on in this loop (ADR 0020)
    const continuation = new SplitContinuation(this, 'SplitContinuation', {
      splitter: functions.splitter.fn,
      starter: functions.splitter.role,
    });
    functions.splitter.fn.addEnvironment(ENV.splitStateMachineArn, continuation.stateMachineArn);

    const catalog = new LakeCatalog(this, 'Lake', {
      bucketName: storage.bucketName,
      key,
      scanLimitBytes: Size.gibibytes(c.athenaScanLimitGiB).toBytes(),
    });
    const lake = new LakeDelivery(this, 'LakeDelivery', {
      stream,
      bucket: storage.bucket,
      key,
      database: catalog.database,
      table: catalog.readingsTable,
      bufferSeconds: c.firehoseBufferSeconds,
      bufferMiB: c.firehoseBufferMiB,
      logRetention,
    });

    new ConsoleApi(this, 'Console', {
      projectRoot: props.projectRoot,
      bucketName: storage.bucketName,
      bucket: storage.byName,
      key,
      tables,
      logRetention,
      readingsTtlDays: c.readingsTtlDays,
    });

    const observability = new Observability(this, 'Observability', {
      key,
      functions: Object.fromEntries(Object.entries(functions).map(([k, f]) => [k, f.fn])),
      consumers: { [CONSUMERS.state.name]: functions.state.fn, [CONSUMERS.anomaly.name]: functions.anomaly.fn },
      deadLetters: deadLetters.all,
      stream,
      lake,
      alertsTopic: alerts.topic,
      tables,
      splitContinuation: continuation.stateMachine,
      iteratorAgeAlarm: Duration.minutes(c.iteratorAgeAlarmMinutes),
      deliveryBuffer: Duration.seconds(c.firehoseBufferSeconds),
      email: c.opsEmail,
    });

    new CfnOutput(this, 'BucketName', {
      value: storage.bucketName,
      description: 'Data bucket: upload LV files under raw/',
    });
    new CfnOutput(this, 'StreamName', { value: STREAM.streamName });
    new CfnOutput(this, 'AlertsTopicArn', { value: alerts.topic.topicArn, description: 'Subscribe to receive alerts' });
    new CfnOutput(this, 'OpsTopicArn', {
      value: observability.opsTopic.topicArn,
      description: 'Alarms of the deployment',
    });
    new CfnOutput(this, 'AthenaWorkGroup', { value: ATHENA.workgroup });
    new CfnOutput(this, 'DashboardName', { value: observability.dashboard.dashboardName });
    new CfnOutput(this, 'CliEnvironment', {
      value: cliEnvironment(this.region, this.account, c),
      description: 'Export these, then run the CLI with --target aws',
    });
  }
}

/**
 * What the CLI must export to act like the deployment: the region and account, and
 * every setting the handlers were deployed with that the CLI's own replay, backfill,
 * rebuild and verify use too (a backfill with another source time zone would emit
 * other event ids; a rebuild with other rules other alerts).
 */
export function cliEnvironment(
  region: string,
  account: string,
  c: Pick<DeployConfig, 'sourceTimeZone' | 'anomalyRules' | 'readingsTtlDays'>,
): string {
  const vars: [string, string | number | undefined][] = [
    ['AWS_REGION', region],
    [ENV.awsAccount, account],
    [ENV.sourceTimeZone, c.sourceTimeZone],
    [ENV.readingsTtlDays, c.readingsTtlDays],
    [ENV.anomalyRules, c.anomalyRules],
  ];
  return vars
    .filter((v): v is [string, string | number] => v[1] !== undefined)
    .map(([name, value]) => `${name}=${shellWord(String(value))}`)
    .join(' ');
}

/** A value as one POSIX shell word: as it is when that is safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w./:+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
