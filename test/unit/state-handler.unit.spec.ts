/**
 * Failure paths the emulators cannot produce on demand (one item throttled, one write
 * refused): the handler's partial batch response and the writer's retries.
 */
import { BatchGetCommand, BatchWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createStateHandler } from '../../src/consumers/state/handler.ts';
import { parseTtlDays } from '../../src/shared/settings.ts';
import { readingKeyOf } from '../../src/consumers/state/items.ts';
import { StateWriter } from '../../src/consumers/state/writer.ts';
import { BACKOFF } from '../../src/shared/retry.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { KeyedAggregator } from '../../src/shared/kpl.ts';
import { readingEvent } from '../support/reading-events.ts';
import { PUBLISHED_METRICS, SummingCounter } from '../../src/shared/telemetry.ts';

type Put = { PutRequest: { Item: Record<string, unknown> } };

function fakeDoc(
  behaviour: {
    refuse?: (item: Record<string, unknown>) => boolean;
    refuseUpdate?: (values: Record<string, unknown>) => boolean;
    unprocessedTimes?: number;
    stuck?: boolean;
  } = {},
) {
  const written: Record<string, unknown>[] = [];
  let unprocessed = behaviour.unprocessedTimes ?? 0;
  const doc = {
    send: async (command: unknown) => {
      if (command instanceof BatchGetCommand) return { Responses: {} };
      if (command instanceof UpdateCommand) {
        if (behaviour.refuseUpdate?.(command.input.ExpressionAttributeValues ?? {}))
          throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
            name: 'ValidationException',
          });
        return {};
      }
      if (command instanceof BatchWriteCommand) {
        const [table, requests] = Object.entries(command.input.RequestItems ?? {})[0] as [string, Put[]];
        if (requests.some((r) => behaviour.refuse?.(r.PutRequest.Item)))
          throw Object.assign(new Error('One or more parameter values were invalid'), { name: 'ValidationException' });
        if (behaviour.stuck) return { UnprocessedItems: { [table]: requests } };
        if (unprocessed > 0) {
          unprocessed -= 1;
          return {
            UnprocessedItems: { [table]: requests.slice(1) },
            written: written.push(requests[0]!.PutRequest.Item),
          };
        }
        written.push(...requests.map((r) => r.PutRequest.Item));
        return { UnprocessedItems: {} };
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  };
  return { doc: doc as unknown as DynamoDBDocumentClient, written };
}
const s3 = { send: async () => ({}) } as unknown as S3Client;

function record(seq: string, events: ReadingEvent[]): KinesisStreamRecord {
  const agg = new KeyedAggregator();
  for (const e of events) agg.add(e.substation_id, Buffer.from(JSON.stringify(e)));
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: events[0]!.substation_id,
      sequenceNumber: seq,
      data: agg.flush()[0]!.data.toString('base64'),
      approximateArrivalTimestamp: 1,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn',
    awsRegion: 'eu-west-2',
    eventSourceARN: 'arn:aws:kinesis:eu-west-2:000000000000:stream/dubegrid-readings',
  };
}
const r = (sub: string, minute: number) =>
  readingEvent({ substation: sub, ts: Date.parse('2025-08-14T00:00:00Z') + minute * 60_000, value: minute });

describe('state handler partial batch response', () => {
  it('reports the first record not applied and every later one; the earlier ones succeed', async () => {
    const { doc } = fakeDoc({ refuseUpdate: (values) => Object.values(values).includes('FAIL') });
    const counter = new SummingCounter();
    const counts = counter.sums;
    const handler = createStateHandler({ doc, s3, bucket: 'b', metrics: counter });
    const response = await handler({
      Records: [record('1', [r('OK', 0)]), record('2', [r('FAIL', 0)]), record('3', [r('OK', 10), r('OK', 11)])],
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '2' }, { itemIdentifier: '3' }]);
    expect(Object.fromEntries(counts)).toEqual({
      RecordsReceived: 3,
      Readings: 4,
      ReadingsQuarantined: 0,
      RecordsFailed: 2,
    });
    expect([...counts.keys()].sort()).toEqual([...PUBLISHED_METRICS.state].sort());
  });

  it('fails a record whose reading was superseded in the batch when the write that supersedes it fails', async () => {
    // A@0 (record 2) is not what `latest` gets: A@5 (record 3) is; that update failing un-applies both
    const { doc } = fakeDoc({ refuseUpdate: (values) => Object.values(values).includes(5) });
    const handler = createStateHandler({ doc, s3, bucket: 'b' });
    const response = await handler({
      Records: [record('1', [r('B', 0)]), record('2', [r('A', 0)]), record('3', [r('A', 5)])],
    });
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['2', '3']);
  });

  it('throws when no record could be applied, so the whole batch is retried', async () => {
    const { doc } = fakeDoc({ refuse: () => true });
    await expect(createStateHandler({ doc, s3, bucket: 'b' })({ Records: [record('1', [r('X', 0)])] })).rejects.toThrow(
      /All records failed/,
    );
  });
});

describe('StateWriter retries', () => {
  const events = Array.from({ length: 5 }, (_, i) => r('RETRY', i));
  const writes = { readings: new Map(events.map((e) => [readingKeyOf(e), e])), latest: new Map([[`x`, events[4]!]]) };

  it('retries unprocessed items with backoff until they are written', async () => {
    const { doc, written } = fakeDoc({ unprocessedTimes: 3 });
    const sleeps: number[] = [];
    const writer = new StateWriter({ doc, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });
    const out = await writer.write({
      readings: writes.readings,
      latest: new Map([[`RETRY:01\u0000l1_voltage`, events[4]!]]),
    });
    expect(out.readings).toMatchObject({ written: 5, failed: new Map() });
    expect(written).toHaveLength(5);
    expect(sleeps).toEqual([50, 100, 200].map((ms) => ms / 2));
  });

  it('reports items still unprocessed after the last attempt as failed, per key', async () => {
    const { doc } = fakeDoc({ stuck: true });
    const writer = new StateWriter({ doc, sleep: async () => undefined });
    const out = await writer.write({
      readings: writes.readings,
      latest: new Map([[`RETRY:01\u0000l1_voltage`, events[4]!]]),
    });
    expect(out.readings.failed.size).toBe(5);
    expect([...out.readings.failed.values()][0]?.message).toMatch(
      new RegExp(`still unprocessed after ${BACKOFF.stateWrites.attempts} attempts`),
    );
  });
});

describe('parseTtlDays', () => {
  it('accepts a positive number of days or nothing', () => {
    expect(parseTtlDays(undefined)).toBeUndefined();
    expect(parseTtlDays(' ')).toBeUndefined();
    expect(parseTtlDays('30')).toBe(30);
    expect(() => parseTtlDays('-1')).toThrow(/DUBEGRID_READINGS_TTL_DAYS/);
  });
});
