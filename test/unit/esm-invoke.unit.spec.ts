import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import { describe, expect, it } from 'vitest';
import { describeError, interpretResponse, lambdaContext, toKinesisEvent } from '../../src/shared/kinesis/invoke.ts';
import type { StreamRecord } from '../../src/shared/kinesis/shard-reader.ts';

const records: StreamRecord[] = [
  {
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    partitionKey: 'LV123',
    data: Buffer.from('{"a":1}'),
    arrival: new Date(1_723_647_600_123),
  },
  {
    sequenceNumber: '49590338271490256608559692540925702759324208523137515618',
    partitionKey: 'LV123',
    data: Buffer.from('{"a":2}'),
    arrival: new Date(1_723_647_600_456),
  },
];
const source = {
  region: 'eu-west-2',
  account: '000000000000',
  stream: 'dubegrid-readings',
  shardId: 'shardId-000000000002',
  consumer: 'state',
};

describe('toKinesisEvent', () => {
  it('shapes records as Lambda does: base64 data, epoch-second arrival, shard-qualified event id, stream ARN', () => {
    const event = toKinesisEvent(records, source);
    expect(event.Records[0]).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'LV123',
        sequenceNumber: records[0]!.sequenceNumber,
        data: Buffer.from('{"a":1}').toString('base64'),
        approximateArrivalTimestamp: 1_723_647_600.123,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000002:${records[0]!.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/dubegrid-state-role',
      awsRegion: 'eu-west-2',
      eventSourceARN: 'arn:aws:kinesis:eu-west-2:000000000000:stream/dubegrid-readings',
    });
  });

  it("encodes a record's data when it is read, without keeping the text", () => {
    const event = toKinesisEvent(records, source);
    const kinesis = event.Records[0]!.kinesis;
    expect(Object.getOwnPropertyDescriptor(kinesis, 'data')?.get).toBeTypeOf('function');
    const first = kinesis.data;
    expect(first).toBe(Buffer.from('{"a":1}').toString('base64'));
    // a fresh string each read: the event holds the bytes only
    expect(Object.getOwnPropertyDescriptor(kinesis, 'data')?.value).toBeUndefined();
    // serialised as Lambda's payload is (replay to AWS, logs), it is the plain base64 field
    const parsed = JSON.parse(JSON.stringify(event)) as typeof event;
    expect(parsed.Records[0]!.kinesis.data).toBe(first);
  });

  it('gives a context with the function timeout as the remaining time', () => {
    let now = 1000;
    const ctx = lambdaContext(source, { memoryMiB: 512, timeoutSeconds: 120 }, () => now);
    expect(ctx).toMatchObject({
      functionName: 'dubegrid-state',
      memoryLimitInMB: '512',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-2:000000000000:function:dubegrid-state',
    });
    now += 20_000;
    expect(ctx.getRemainingTimeInMillis()).toBe(100_000);
  });
});

describe('interpretResponse (ReportBatchItemFailures)', () => {
  it('treats nothing or an empty list as success', () => {
    expect(interpretResponse(records, undefined, true)).toEqual({ ok: true });
    expect(interpretResponse(records, { batchItemFailures: [] }, true)).toEqual({ ok: true });
  });
  it('resumes from the lowest failed sequence number', () => {
    const out = interpretResponse(
      records,
      {
        batchItemFailures: [
          { itemIdentifier: records[1]!.sequenceNumber },
          { itemIdentifier: records[0]!.sequenceNumber },
        ],
      },
      true,
    );
    expect(out).toMatchObject({ ok: false, failedIndex: 0 });
  });
  it('fails the whole batch on an identifier that is not in it', () => {
    expect(interpretResponse(records, { batchItemFailures: [{ itemIdentifier: '' }] }, true)).toMatchObject({
      ok: false,
      failedIndex: 0,
      error: expect.stringMatching(/not in the batch/),
    });
  });
  it('ignores item failures when the mapping does not report them', () => {
    expect(
      interpretResponse(records, { batchItemFailures: [{ itemIdentifier: records[1]!.sequenceNumber }] }, false),
    ).toEqual({ ok: true });
  });
});

describe('describeError', () => {
  it('names the first record error of a Powertools full-batch failure', () => {
    const err = new FullBatchFailureError([new TypeError('table missing')]);
    expect(describeError(err)).toMatch(/All records failed.*TypeError: table missing/);
  });
});
