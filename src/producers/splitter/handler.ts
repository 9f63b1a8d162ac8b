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
import { createClients } from '../../shared/clients.ts';
import { readSettings } from '../../shared/settings.ts';
import { STREAM } from '../../shared/resources.ts';
import { lambdaTelemetry, METRIC, type Counter, type HandlerLog } from '../../shared/telemetry.ts';
import { ObjectSplitError, SplitterInvocationError } from './errors.ts';
import { decodeS3EventKey, isSplittableKey } from '../../shared/s3-keys.ts';
import { splitObject, type SplitObjectDeps, type SplitOutcome } from './split-object.ts';
import { TimestampReader } from './timestamps.ts';

export type SplitterDeps = SplitObjectDeps & {
  /** Where progress goes; one line per object. @default console */
  readonly log?: HandlerLog;
  /** What each object gave, counted (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
};

export interface ObjectResult {
  readonly bucket: string;
  readonly key: string;
  readonly outcome: SplitOutcome | { readonly status: 'ignored' };
}

export type SplitterHandler = (event: S3Event) => Promise<ObjectResult[]>;

export function createSplitterHandler(deps: SplitterDeps): SplitterHandler {
  // a bad zone must fail the deployment's first invocation, not quarantine every row
  if (deps.sourceTimeZone) new TimestampReader(deps.sourceTimeZone);
  const log = deps.log ?? console;
  return async (event) => {
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
        const outcome = await splitObject(deps, { bucket, key, etag: record.s3.object.eTag });
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
  return {
    s3: clients.s3,
    kinesis: clients.kinesis,
    stream: settings.stream ?? STREAM.streamName,
    sourceTimeZone: settings.sourceTimeZone,
    ...telemetry,
  };
}

const telemetry = lambdaTelemetry('splitter');
let deployed: SplitterHandler | undefined;

/** The Lambda entry (`FUNCTIONS.splitter.entry`), assembled on first use. */
export const handler = telemetry.instrument((event: S3Event): Promise<ObjectResult[]> =>
  (deployed ??= createSplitterHandler(depsFromEnvironment(process.env, telemetry)))(event),
);
