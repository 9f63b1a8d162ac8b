import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { KinesisEventSource, SqsDlq, type KinesisEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONSUMERS, type EventSourceMappingSettings } from '../../src/shared/consumers.ts';
import { COMPACTION } from '../../src/shared/compaction.ts';
import { ASYNC_INVOCATION, SCHEDULES } from '../../src/shared/functions.ts';
import { PREFIXES, RAW_SUFFIXES } from '../../src/shared/resources.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { FunctionKey } from '../../src/shared/functions.ts';
import type { PipelineFunction } from './pipeline-function.ts';
import type { DataStorage, KeyFilter } from './storage.ts';

export interface PipelineTriggersProps {
  readonly functions: { readonly [K in FunctionKey]: PipelineFunction };
  readonly storage: DataStorage;
  readonly stream: IStream;
  readonly deadLetters: DeadLetters;
}

/** The outbox sweeper's period; a failed sweep is simply retried by the next one. */
export const OUTBOX_SWEEP_PERIOD = Duration.minutes(1);

/** The S3 key filters of the splitter: every raw suffix under raw/ (one filter per suffix; S3 has no OR). */
export const SPLITTER_FILTERS: readonly KeyFilter[] = RAW_SUFFIXES.map((suffix) => ({ prefix: PREFIXES.raw, suffix }));
/**
 * The registry loader gets every object under reference/assets/ (it picks the CSVs itself, case-insensitively)
 * and under reference/mapped/ (reference files read through a mapping; it picks the raw suffixes itself).
 */
export const REGISTRY_FILTERS: readonly KeyFilter[] = [
  { prefix: PREFIXES.referenceAssets },
  { prefix: PREFIXES.referenceMapped },
];

/**
 * What invokes each function, and where its failures go:
 * - the stream consumers by event source mappings built from `CONSUMERS` (the same
 *   settings the embedded poller uses), failures to their DLQ;
 * - the splitter and the registry loader by S3 notifications, asynchronously, with
 *   `ASYNC_INVOCATION`'s bounded retries, then their DLQ;
 * - the outbox sweeper, the lake compaction, the rollups and the stale_feed watchdog by schedules.
 */
export class PipelineTriggers extends Construct {
  constructor(scope: Construct, id: string, props: PipelineTriggersProps) {
    super(scope, id);
    const { functions, storage, stream, deadLetters } = props;

    for (const settings of [CONSUMERS.state, CONSUMERS.anomaly]) {
      const consumer = functions[settings.name].fn;
      consumer.addEventSource(
        new KinesisEventSource(stream, eventSourceProps(settings, deadLetters.queue(settings.name))),
      );
    }

    const s3Invoked = [
      ['splitter', SPLITTER_FILTERS],
      ['registry', REGISTRY_FILTERS],
    ] as const;
    for (const [key, filters] of s3Invoked) {
      const fn = functions[key].fn;
      configureAsyncFailures(fn, deadLetters.queue(key));
      storage.invokeOnObjectCreated(functions[key].node.id, fn, filters);
    }

    // The daily compaction: a failed run is completed by the next (each partition is left
    // consistent), so no retries; its errors raise the function's error alarm.
    const compaction = functions.compaction.fn;
    compaction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.hours(1) });
    new Rule(this, 'DailyCompaction', {
      description: 'Rewrites the lake day partitions that are quiet and not yet compacted, daily',
      schedule: Schedule.cron({ minute: '0', hour: String(COMPACTION.dailyAtUtcHour) }),
      targets: [new LambdaFunction(compaction, { retryAttempts: 0, maxEventAge: Duration.hours(1) })],
    });

    // The rollups, on the embedded timer's period. A schedule, not a chain after the compaction:
    // a compaction changes no row of the readings view, only the day's objects (so their
    // signature), and any delivery or late reading changes a day too; the hourly run picks
    // up all of them alike. The next run is the retry (the build is idempotent).
    const rollups = functions.rollups.fn;
    const rollupsPeriod = Duration.minutes(SCHEDULES.rollups.minutes);
    rollups.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: rollupsPeriod });
    new Rule(this, 'LakeRollups', {
      description: `Rebuilds the rollups (readings_hourly, readings_daily) of the lake days that changed, every ${SCHEDULES.rollups.minutes} minutes`,
      schedule: Schedule.rate(rollupsPeriod),
      targets: [new LambdaFunction(rollups, { retryAttempts: 0, maxEventAge: rollupsPeriod })],
    });

    const outbox = functions.outbox.fn;
    // The next sweep is the retry: neither EventBridge nor Lambda should retry a sweep.
    outbox.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: OUTBOX_SWEEP_PERIOD });
    new Rule(this, 'OutboxSweep', {
      description: 'Publishes alert notifications still unpublished (the outbox), every minute',
      schedule: Schedule.rate(OUTBOX_SWEEP_PERIOD),
      targets: [new LambdaFunction(outbox, { retryAttempts: 0, maxEventAge: OUTBOX_SWEEP_PERIOD })],
    });

    // The watchdog's next run is its retry, as the sweeper's is; a failed run raises the function's error alarm.
    const watchdog = functions.watchdog.fn;
    const watchdogPeriod = Duration.minutes(SCHEDULES.watchdog.minutes);
    watchdog.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: watchdogPeriod });
    new Rule(this, 'StaleFeedWatchdog', {
      description: `The stale_feed watchdog: feeds the low watermark has passed, every ${SCHEDULES.watchdog.minutes} minutes`,
      schedule: Schedule.rate(watchdogPeriod),
      targets: [new LambdaFunction(watchdog, { retryAttempts: 0, maxEventAge: watchdogPeriod })],
    });
  }
}

/** An event source mapping exactly as the shared settings say. */
export function eventSourceProps(s: EventSourceMappingSettings, dlq: IQueue): KinesisEventSourceProps {
  return {
    startingPosition: StartingPosition[s.startingPosition],
    ...(s.startingPosition === 'AT_TIMESTAMP' ? { startingPositionTimestamp: atTimestamp(s) } : {}),
    batchSize: s.batchSize,
    maxBatchingWindow: Duration.seconds(s.maxBatchingWindowSeconds),
    retryAttempts: s.retryAttempts,
    bisectBatchOnError: s.bisectBatchOnError,
    maxRecordAge: Duration.seconds(s.maxRecordAgeSeconds),
    reportBatchItemFailures: s.reportBatchItemFailures,
    parallelizationFactor: s.parallelizationFactor,
    onFailure: new SqsDlq(dlq),
  };
}

function atTimestamp(s: EventSourceMappingSettings): number {
  const ms = Date.parse(s.startingPositionTimestamp ?? '');
  if (Number.isNaN(ms)) {
    throw new Error(
      `consumer ${s.name}: AT_TIMESTAMP needs startingPositionTimestamp as an ISO time, got ${JSON.stringify(s.startingPositionTimestamp)}`,
    );
  }
  return ms / 1000;
}

function configureAsyncFailures(fn: IFunction, dlq: IQueue): void {
  fn.configureAsyncInvoke({
    retryAttempts: ASYNC_INVOCATION.retryAttempts,
    maxEventAge: Duration.seconds(ASYNC_INVOCATION.maxEventAgeSeconds),
    onFailure: new SqsDestination(dlq),
  });
}
