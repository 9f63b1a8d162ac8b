/**
 * The splitter Lambda: S3 ObjectCreated notifications for `raw/**.csv[.gz]` → events
 * on the stream, rejected rows in the quarantine, one manifest per object.
 *
 * `handler` is what Lambda invokes; it assembles its dependencies from the environment
 * on first use. `createSplitterHandler` takes them injected: the embedded stack builds
 * the same handler with local clients. Every record of an event is tried; if any
 * object failed, the invocation throws afterwards so Lambda retries it (re-splitting is
 * idempotent: the same object gives the same event ids) and, after its retries, sends
 * it to the on-failure destination.
 */
import type { S3Event } from 'aws-lambda';
import { deadlineOf, isContinueEvent, type ContinueEvent, type ContinueResult, type HandOff } from './continuation.ts';
import { createClients } from '../../shared/clients.ts';
import { readSettings } from '../../shared/settings.ts';
import { STREAM } from '../../shared/resources.ts';
import { lambdaTelemetry, METRIC, type Counter, type HandlerLog } from '../../shared/telemetry.ts';
import { ObjectSplitError, SplitterInvocationError } from './errors.ts';
import { decodeS3EventKey, isSplittableKey } from '../../shared/s3-keys.ts';
import { bucketMappings } from './mapping/stored.ts';
import { splitObject, type SplitObjectDeps, type SplitOutcome } from './split-object.ts';
import { stepFunctionsHandOff } from './step-functions.ts';
import { SFNClient } from '@aws-sdk/client-sfn';
import { TimestampReader } from './timestamps.ts';

export type SplitterDeps = SplitObjectDeps & {
  /** Where progress goes; one line per object. @default console */
  readonly log?: HandlerLog;
  /** What each object gave, counted (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
  /**
   * Where the rest of a split goes when this invocation runs short of time (a Step
   * Functions execution on AWS, the local invoker embedded). Without it, a split runs to
   * its end whatever the time. @default none
   */
  readonly handOff?: HandOff | undefined;
};

/** What the handler needs of Lambda's context: the time left. */
export interface InvocationTime {
  getRemainingTimeInMillis(): number;
}

export interface ObjectResult {
  readonly bucket: string;
  readonly key: string;
  readonly outcome: SplitOutcome | { readonly status: 'ignored' };
}

export type SplitterHandler = (event: S3Event, context?: InvocationTime) => Promise<ObjectResult[]>;
/** A later part of a split: the state machine (or the local invoker) loops while `done` is false. */
export type ContinueHandler = (event: ContinueEvent, context?: InvocationTime) => Promise<ContinueResult>;

/** The part's stop rule: only with a context to read the time from. */
function pauseRule(context: InvocationTime | undefined): (() => boolean) | undefined {
  return context ? deadlineOf(() => context.getRemainingTimeInMillis()) : undefined;
}

export function createContinueHandler(deps: SplitterDeps): ContinueHandler {
  const log = deps.log ?? console;
  return async (event, context) => {
    const c = event.continuation;
    const { bucket, key } = c.source;
    const outcome = await splitObject(
      deps,
      { bucket, key, etag: c.source.etag },
      { resume: c, shouldPause: pauseRule(context) },
    );
    log.info(describe(bucket, key, outcome));
    if (deps.metrics) count(deps.metrics, outcome);
    if (outcome.status === 'paused') return { done: false, continuation: outcome.continuation };
    if (outcome.status !== 'split') return { done: true, status: outcome.status };
    const m = outcome.manifest;
    return { done: true, status: 'split', rows_read: m.rows_read, events_emitted: m.events_emitted };
  };
}

export function createSplitterHandler(deps: SplitterDeps): SplitterHandler {
  // a bad zone must fail the deployment's first invocation, not quarantine every row
  if (deps.sourceTimeZone) new TimestampReader(deps.sourceTimeZone);
  const log = deps.log ?? console;
  return async (event, context) => {
    // a part may stop early only when there is somewhere to hand the rest to
    const shouldPause = deps.handOff ? pauseRule(context) : undefined;
    const results: ObjectResult[] = [];
    const failures: ObjectSplitError[] = [];
    for (const record of event.Records ?? []) {
      const bucket = record.s3.bucket.name;
      const key = decodeS3EventKey(record.s3.object.key);
      if (!isSplittableKey(key)) {
        results.push({ bucket, key, outcome: { status: 'ignored' } });
        continue;
      }
      try {
        const outcome = await splitObject(
          deps,
          { bucket, key, etag: record.s3.object.eTag },
          { shouldPause, sequencer: record.s3.object.sequencer },
        );
        // only once the next part is in hand does this one count as done (else Lambda retries it)
        if (outcome.status === 'paused') await deps.handOff?.(outcome.continuation);
        results.push({ bucket, key, outcome });
        log.info(describe(bucket, key, outcome));
        if (deps.metrics) count(deps.metrics, outcome);
      } catch (err) {
        const failure = new ObjectSplitError(bucket, key, { cause: err });
        log.warn(failure.message);
        failures.push(failure);
      }
    }
    deps.metrics?.add(METRIC.objectsFailed, failures.length);
    if (failures.length > 0) throw new SplitterInvocationError(failures);
    return results;
  };
}

function count(metrics: Counter, o: SplitOutcome): void {
  if (o.status === 'paused') {
    metrics.add(METRIC.objectsContinued, 1);
    return;
  }
  if (o.status !== 'split') {
    metrics.add(METRIC.objectsSkipped, 1);
    return;
  }
  const m = o.manifest;
  metrics.add(METRIC.objectsSplit, 1);
  metrics.add(METRIC.rowsRead, m.rows_read);
  metrics.add(METRIC.rowsAccepted, m.rows_accepted);
  metrics.add(METRIC.rowsQuarantined, m.rows_quarantined);
  metrics.add(METRIC.eventsEmitted, m.events_emitted);
  metrics.add(METRIC.kinesisRecords, m.kinesis.records);
}

function describe(bucket: string, key: string, o: SplitOutcome): string {
  if (o.status === 'paused')
    return `splitter: s3://${bucket}/${key} out of time at row ${o.continuation.progress.rows_read}; part ${o.continuation.part} goes on`;
  if (o.status !== 'split') return `splitter: s3://${bucket}/${key} ${o.status}`;
  const m = o.manifest;
  return (
    `splitter: s3://${bucket}/${key} ${m.format}: ${m.rows_read} rows, ${m.rows_accepted} accepted, ` +
    `${m.rows_quarantined} quarantined, ${m.events_emitted} events in ${m.kinesis.records} records (${m.duration_ms} ms)`
  );
}

/** The deployed function's dependencies, from its environment (read here only). */
export function depsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  telemetry?: Pick<SplitterDeps, 'log' | 'metrics'>,
): SplitterDeps {
  const clients = createClients({ target: 'aws' });
  const settings = readSettings(env);
  const machine = settings.splitStateMachineArn;
  return {
    handOff: machine ? stepFunctionsHandOff(new SFNClient({}), machine) : undefined,
    s3: clients.s3,
    kinesis: clients.kinesis,
    stream: settings.stream ?? STREAM.streamName,
    sourceTimeZone: settings.sourceTimeZone,
    mappings: bucketMappings(clients.s3, settings.sourceTimeZone, (m) => (telemetry?.log ?? console).warn(m)),
    ...telemetry,
  };
}

const telemetry = lambdaTelemetry('splitter');
let deployed: { s3: SplitterHandler; continued: ContinueHandler } | undefined;

/** The Lambda entry (`FUNCTIONS.splitter.entry`), assembled on first use. */
export const handler = telemetry.instrument(
  (event: S3Event | ContinueEvent, context?: InvocationTime): Promise<ObjectResult[] | ContinueResult> => {
    if (!deployed) {
      const deps = depsFromEnvironment(process.env, telemetry);
      deployed = { s3: createSplitterHandler(deps), continued: createContinueHandler(deps) };
    }
    return isContinueEvent(event) ? deployed.continued(event, context) : deployed.s3(event, context);
  },
);
