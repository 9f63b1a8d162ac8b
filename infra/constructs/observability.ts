import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type FunctionKey } from '../../src/shared/functions.ts';
import { METRIC, type MetricName } from '../../src/shared/telemetry.ts';
import { AWS_ONLY, NAME_PREFIX } from '../../src/shared/resources.ts';
import type { LakeDelivery } from './firehose.ts';

export interface ObservabilityProps {
  readonly key: IKey;
  /** Every function, by its `FUNCTIONS` key. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** The stream consumers (event source mappings), by consumer name. */
  readonly consumers: Readonly<Record<string, IFunction>>;
  readonly deadLetters: ReadonlyMap<string, IQueue>;
  readonly stream: IStream;
  readonly lake: LakeDelivery;
  readonly alertsTopic: ITopic;
  readonly tables: Readonly<Record<string, Table>>;
  /** The loop that carries on splits longer than one invocation: a failed execution is a file not fully split. */
  readonly splitContinuation: IStateMachine;
  /** Consumer lag (iterator age) that raises an alarm. */
  readonly iteratorAgeAlarm: Duration;
  /** Firehose's buffer interval: data older than this plus 15 minutes is late. */
  readonly deliveryBuffer: Duration;
  /** Subscribe this address to the operations topic. @default - no subscription */
  readonly email?: string | undefined;
}

/** One count a handler publishes through Powertools (`src/shared/telemetry.ts`), summed per period. */
export function handlerMetric(service: FunctionKey, name: MetricName, period = Duration.minutes(5)): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service },
    statistic: 'Sum',
    period,
    label: `${service} ${name}`,
  });
}

/** Per-minute data points that must all breach before the lag alarms fire: a burst is not a backlog. */
const SUSTAINED_MINUTES = 5;
const FIVE_MINUTES = Duration.minutes(5);

/**
 * The operations topic, every alarm the pipeline needs (consumer lag, dead letters,
 * function errors and throttles, stream throttling, Firehose delivery, conversion and
 * partition-limit failures, undeliverable or unpublished alerts), all to that topic, and a
 * dashboard that includes the handlers' own Powertools counts.
 */
export class Observability extends Construct {
  readonly opsTopic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.opsTopic = new Topic(this, 'OpsTopic', {
      topicName: AWS_ONLY.opsTopicName,
      displayName: 'DubeGrid operations',
      // The data key's policy lets CloudWatch alarms use it (an AWS-managed SNS key would not).
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.email) this.opsTopic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.opsTopic);
    const alarm = (
      name: string,
      metric: IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
    ): Alarm => {
      const a = new Alarm(this, name, {
        alarmName: `${NAME_PREFIX}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        // No data = nothing flowing = nothing failing.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };
    const lagMs = props.iteratorAgeAlarm.toMilliseconds();
    const perMinute = { period: Duration.minutes(1), statistic: 'Maximum' } as const;

    for (const [name, fn] of Object.entries(props.consumers)) {
      alarm(
        `iterator-age-${name}`,
        fn.metric('IteratorAge', perMinute),
        lagMs,
        `The ${name} consumer lags the stream by over ${props.iteratorAgeAlarm.toHumanString()}: records near the retention limit will expire unprocessed.`,
        SUSTAINED_MINUTES,
      );
    }
    alarm(
      'stream-iterator-age',
      props.stream.metricGetRecordsIteratorAgeMilliseconds(perMinute),
      lagMs,
      `Some reader of the stream (a consumer or Firehose) lags by over ${props.iteratorAgeAlarm.toHumanString()}.`,
      SUSTAINED_MINUTES,
    );
    alarm(
      'stream-write-throttled',
      props.stream.metricWriteProvisionedThroughputExceeded({ period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'The splitter is being throttled by the stream for 15 minutes: it retries, but ingestion is capacity-bound (add shards or check on-demand limits).',
      3,
    );
    for (const [source, queue] of props.deadLetters) {
      alarm(
        `dlq-${source}`,
        queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        1,
        `The ${source} dead-letter queue holds failures: inspect and redrive them.`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `errors-${name}`,
        fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
        `The ${name} function failed invocations.`,
      );
      alarm(
        `throttles-${name}`,
        fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
        `The ${name} function was throttled (account or reserved concurrency).`,
      );
    }
    const lake = props.lake;
    alarm(
      'lake-delivery-freshness',
      lake.metric('DeliveryToS3.DataFreshness', { period: FIVE_MINUTES, statistic: 'Maximum' }),
      props.deliveryBuffer.toSeconds() + Duration.minutes(15).toSeconds(),
      'Firehose holds records it has not delivered to the lake for 15 minutes beyond its buffer interval.',
    );
    alarm(
      'lake-delivery-failures',
      new MathExpression({
        expression: '1 - success',
        usingMetrics: { success: lake.metric('DeliveryToS3.Success', { period: FIVE_MINUTES, statistic: 'Minimum' }) },
        label: 'failed S3 deliveries',
        period: FIVE_MINUTES,
      }),
      1,
      'Firehose failed to put objects into the lake (permissions, KMS, bucket policy).',
    );
    alarm(
      'lake-conversion-failures',
      lake.metric('FailedConversion.Records', { period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'Records failed Parquet conversion against the Glue schema: they are under processed-errors/format-conversion-failed/.',
    );
    alarm(
      'lake-partition-limit',
      lake.metric('PartitionCountExceeded', { period: FIVE_MINUTES, statistic: 'Maximum' }),
      1,
      'More than the active-partition limit of days is buffered at once (a wide backfill): records go to processed-errors/. Backfill fewer days at a time or raise the quota.',
    );
    alarm(
      'split-continuation-failed',
      new MathExpression({
        expression: 'failed + timedout + aborted',
        usingMetrics: {
          failed: props.splitContinuation.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
          timedout: props.splitContinuation.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
          aborted: props.splitContinuation.metricAborted({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        label: 'split continuations that did not succeed',
        period: FIVE_MINUTES,
      }),
      1,
      'A file longer than one splitter invocation did not finish: its continuation execution failed after its retries (see the execution history; the parts before are on the stream, the manifest is not written). Fix the cause and upload the file again, or backfill it.',
    );
    alarm(
      'alerts-undeliverable',
      props.alertsTopic.metricNumberOfNotificationsFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
      1,
      'SNS could not deliver alert notifications to a subscriber.',
    );

    alarm(
      'alerts-publish-failing',
      new MathExpression({
        expression: 'consumer + sweeper',
        usingMetrics: {
          consumer: handlerMetric('anomaly', METRIC.publishFailures),
          sweeper: handlerMetric('outbox', METRIC.publishFailures),
        },
        label: 'alert notifications not published',
        period: FIVE_MINUTES,
      }),
      1,
      'Alert notifications could not be published to the alerts topic (or written to the alert lake) for 15 minutes: they wait in the outbox and the sweeper keeps retrying, but subscribers are not hearing of incidents.',
      3,
    );

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: AWS_ONLY.dashboardName,
      defaultInterval: Duration.hours(6),
    });
    const fns = Object.entries(props.functions);
    const graph = (title: string, metrics: IMetric[], width = 8): GraphWidget =>
      new GraphWidget({ title, left: metrics, width, height: 6 });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# DubeGrid\nS3 raw/ → splitter → Kinesis → state, anomaly, Firehose → Parquet lake',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Stream: incoming records', [
        props.stream.metricIncomingRecords({ period: Duration.minutes(1), statistic: 'Sum' }),
      ]),
      graph('Stream: reader lag (ms)', [
        props.stream.metricGetRecordsIteratorAgeMilliseconds(perMinute),
        ...Object.entries(props.consumers).map(([n, fn]) => fn.metric('IteratorAge', { ...perMinute, label: n })),
      ]),
      graph('Stream: write throttling', [
        props.stream.metricWriteProvisionedThroughputExceeded({ period: FIVE_MINUTES, statistic: 'Sum' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Invocations',
        fns.map(([n, fn]) => fn.metricInvocations({ period: FIVE_MINUTES, label: n })),
      ),
      graph(
        'Errors',
        fns.map(([n, fn]) => fn.metricErrors({ period: FIVE_MINUTES, label: n })),
      ),
      graph(
        'Duration p99 (ms)',
        fns.map(([n, fn]) => fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99', label: n })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Throttles',
        fns.map(([n, fn]) => fn.metricThrottles({ period: FIVE_MINUTES, label: n })),
      ),
      graph(
        'Dead-letter queues',
        [...props.deadLetters].map(([n, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: n }),
        ),
      ),
      graph(
        'Splitter: rows (Powertools metrics)',
        [METRIC.rowsRead, METRIC.rowsAccepted, METRIC.rowsQuarantined].map((m) => handlerMetric('splitter', m)),
      ),
    );
    this.dashboard.addWidgets(
      graph('Consumers: readings applied, quarantined, late', [
        handlerMetric('state', METRIC.readings),
        handlerMetric('anomaly', METRIC.readings),
        handlerMetric('state', METRIC.readingsQuarantined),
        handlerMetric('anomaly', METRIC.readingsQuarantined),
        handlerMetric('anomaly', METRIC.readingsLate),
      ]),
      graph('Failed objects and records (retried)', [
        handlerMetric('splitter', METRIC.objectsFailed),
        handlerMetric('state', METRIC.recordsFailed),
        handlerMetric('anomaly', METRIC.recordsFailed),
        handlerMetric('registry', METRIC.assetFilesFailed),
      ]),
      graph('Alert notifications: stored, published, failed', [
        handlerMetric('anomaly', METRIC.notificationsStored),
        handlerMetric('anomaly', METRIC.notificationsPublished),
        handlerMetric('outbox', METRIC.notificationsPublished),
        handlerMetric('anomaly', METRIC.publishFailures),
        handlerMetric('outbox', METRIC.publishFailures),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Lake: records read / delivered', [
        lake.metric('DataReadFromKinesisStream.Records', { period: FIVE_MINUTES, statistic: 'Sum' }),
        lake.metric('DeliveryToS3.Records', { period: FIVE_MINUTES, statistic: 'Sum' }),
      ]),
      graph('Lake: failures', [
        lake.metric('FailedConversion.Records', { period: FIVE_MINUTES, statistic: 'Sum' }),
        lake.metric('PartitionCountExceeded', { period: FIVE_MINUTES, statistic: 'Maximum' }),
      ]),
      graph('Lake: freshness (s) and active partitions', [
        lake.metric('DeliveryToS3.DataFreshness', { period: FIVE_MINUTES, statistic: 'Maximum' }),
        lake.metric('PartitionCount', { period: FIVE_MINUTES, statistic: 'Maximum' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Lake jobs: compaction and rollups',
        [
          handlerMetric('compaction', METRIC.partitionsCompacted, Duration.hours(1)),
          handlerMetric('compaction', METRIC.partitionsFailed, Duration.hours(1)),
          handlerMetric('rollups', METRIC.rollupDaysRebuilt, Duration.hours(1)),
          handlerMetric('rollups', METRIC.rollupDaysRemoved, Duration.hours(1)),
        ],
        24,
      ),
    );
    const tables = Object.entries(props.tables);
    this.dashboard.addWidgets(
      graph(
        'DynamoDB: write units',
        tables.map(([n, t]) => t.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES, label: n })),
        12,
      ),
      graph(
        'DynamoDB: read units',
        tables.map(([n, t]) => t.metricConsumedReadCapacityUnits({ period: FIVE_MINUTES, label: n })),
        12,
      ),
    );
  }
}
