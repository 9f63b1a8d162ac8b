/**
 * The S3-trigger contract run against Lambda's specification and the embedded
 * stack's invoker (on the scaled clock, with its destination kept in memory; the DLQ
 * files themselves are covered by splitter-failures.int.spec.ts).
 */
import type { DlqEntry, NewDlqEntry } from '../../src/local/dlq.ts';
import { LOCAL_TIME_SCALE } from '../../src/local/invoker/clock.ts';
import { S3TriggerInvoker } from '../../src/local/invoker/invoker.ts';
import { redriveS3Entry } from '../../src/local/invoker/redrive.ts';
import { asyncSchedule, FAILURE_CONDITION } from '../../src/local/invoker/schedule.ts';
import { LambdaAsyncModel } from './lambda-async.model.ts';
import { s3TriggerContract, type Failure } from './s3-trigger.contract.ts';
import { decodeS3EventKey } from '../../src/shared/s3-keys.ts';

s3TriggerContract('Lambda asynchronous invocation (specification)', ({ settings, handler, clock }) => {
  const lambda = new LambdaAsyncModel(settings, handler, clock);
  return {
    invoke: (event) => lambda.invoke(event),
    failures: async () =>
      lambda.destination.map((r): Failure => {
        const record = r.requestPayload.Records[0]!;
        return {
          condition: r.condition,
          attempts: r.approximateInvokeCount,
          bucket: record.s3.bucket.name,
          key: decodeS3EventKey(record.s3.object.key),
          error: r.errorMessage.split('\n')[0]!,
        };
      }),
    redrive: (i) => lambda.redrive(i),
    toLambdaMs: (ms) => ms,
  };
});

s3TriggerContract('local S3-trigger invoker', ({ settings, handler, clock }) => {
  const entries: DlqEntry[] = [];
  const dlq = {
    put: async (e: NewDlqEntry): Promise<DlqEntry> => {
      const full = { ...e, id: String(entries.length), created_at: new Date(clock.now()).toISOString() };
      entries.push(full);
      return full;
    },
    remove: async (e: Pick<DlqEntry, 'id'>): Promise<void> => {
      entries.splice(
        entries.findIndex((x) => x.id === e.id),
        1,
      );
    },
  };
  const invoker = new S3TriggerInvoker({
    source: 'contract',
    handler,
    destination: dlq,
    schedule: asyncSchedule(LOCAL_TIME_SCALE, settings),
    clock,
  });
  const conditions = {
    [FAILURE_CONDITION.retriesExhausted]: 'RetriesExhausted',
    [FAILURE_CONDITION.eventAgeExceeded]: 'EventAgeExceeded',
  } as const;
  return {
    invoke: (event) => invoker.invoke(event),
    failures: async () =>
      entries.map((e): Failure => {
        if (e.payload.kind !== 's3') throw new Error('not an S3 entry');
        return {
          condition: conditions[e.condition as keyof typeof conditions],
          attempts: e.attempts,
          bucket: e.payload.bucket,
          key: e.payload.key,
          error: e.error,
        };
      }),
    redrive: async (i) => {
      const e = entries[i];
      if (e?.payload.kind !== 's3') throw new Error(`no S3 entry ${i}`);
      await redriveS3Entry({ ...e, payload: e.payload }, handler, dlq);
    },
    toLambdaMs: (ms) => ms / LOCAL_TIME_SCALE,
  };
});
