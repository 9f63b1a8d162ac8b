import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { firstFailedRecord, planBatch } from '../../src/consumers/state/core.ts';
import { decodeRecord } from '../../src/consumers/kit/decode.ts';
import { latestKeyOf, readingKeyOf } from '../../src/consumers/state/items.ts';
import { KeyedAggregator } from '../../src/shared/kpl.ts';
import { readingEvent } from '../support/reading-events.ts';

function kinesisRecord(seq: string, payloads: (string | object)[]): KinesisStreamRecord {
  const agg = new KeyedAggregator();
  for (const p of payloads) agg.add('LV1', Buffer.from(typeof p === 'string' ? p : JSON.stringify(p)));
  const [built] = agg.flush();
  return rawRecord(seq, built!.data.toString('base64'));
}
function rawRecord(seq: string, data: string): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'LV1',
      sequenceNumber: seq,
      data,
      approximateArrivalTimestamp: 1,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000001:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn',
    awsRegion: 'eu-west-2',
    eventSourceARN: 'arn:aws:kinesis:eu-west-2:000000000000:stream/dubegrid-readings',
  };
}

const at = (ts: string, value: number, ingestedAt = '2025-08-15T00:00:00Z') =>
  readingEvent({ substation: 'LV1', ts, value, ingestedAt });

describe('decodeRecord', () => {
  it('de-aggregates, keeps valid events and rejects the rest with reasons, never throwing', () => {
    const good = at('2025-08-14T00:00:00Z', 240);
    const d = decodeRecord(kinesisRecord('7', [good, { ...good, value: 'x' }, 'nope']), 3);
    expect(d).toMatchObject({ index: 3, shardId: 'shardId-000000000001', sequenceNumber: '7', events: [good] });
    expect(d.rejected.map((r) => [r.reason, r.sub_sequence_number])).toEqual([
      ['invalid_event', 1],
      ['not_json', 2],
    ]);
    expect(d.rejected[0]!.errors.join()).toMatch(/value/);
  });

  it('reads a plain (not aggregated) record as one user record', () => {
    const good = at('2025-08-14T00:00:00Z', 240);
    expect(decodeRecord(rawRecord('1', Buffer.from(JSON.stringify(good)).toString('base64')), 0).events).toEqual([
      good,
    ]);
  });

  it('rejects a corrupt aggregate whole', () => {
    const rec = kinesisRecord('9', [at('2025-08-14T00:00:00Z', 1)]);
    const bytes = Buffer.from(rec.kinesis.data, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff; // break the checksum
    rec.kinesis.data = bytes.toString('base64');
    const d = decodeRecord(rec, 0);
    expect(d.events).toEqual([]);
    expect(d.rejected).toEqual([expect.objectContaining({ reason: 'kpl_decode_failed', raw: rec.kinesis.data })]);
  });
});

describe('planBatch', () => {
  it('writes each natural key once (the later emission) and each series once (the newest reading), remembering the first record involved', () => {
    const a = at('2025-08-14T00:00:00Z', 1);
    const newer = at('2025-08-14T00:10:00Z', 2);
    const correction = { ...a, value: 9, ingested_at: '2025-08-16T00:00:00.000Z' };
    const records = [
      decodeRecord(kinesisRecord('1', [a]), 0),
      decodeRecord(kinesisRecord('2', [newer, 'bad']), 1),
      decodeRecord(kinesisRecord('3', [correction]), 2),
    ];
    const plan = planBatch(records);
    expect(plan.events).toBe(3);
    expect(plan.readings.get(readingKeyOf(a))).toEqual({ event: correction, firstRecord: 0 });
    expect(plan.readings.get(readingKeyOf(newer))).toEqual({ event: newer, firstRecord: 1 });
    expect(plan.latest.get(latestKeyOf(a))).toEqual({ event: newer, firstRecord: 0 });
    expect(plan.quarantine.map((r) => r.index)).toEqual([1]);
  });
});

describe('firstFailedRecord', () => {
  const a = at('2025-08-14T00:00:00Z', 1);
  const b = readingEvent({
    substation: 'LV1',
    ts: '2025-08-14T00:00:00Z',
    value: 1,
    measurement: 'total_active_power',
  });
  const plan = planBatch([
    decodeRecord(kinesisRecord('1', [a]), 0),
    decodeRecord(kinesisRecord('2', [b]), 1),
    decodeRecord(kinesisRecord('3', ['x']), 2),
  ]);
  const none = new Map<never, Error>();

  it('is undefined when every write succeeded', () => {
    expect(firstFailedRecord(plan, { readings: none, latest: none, quarantine: none })).toBeUndefined();
  });
  it('is the lowest record any failed write carried', () => {
    const err = new Error('throttled');
    expect(
      firstFailedRecord(plan, {
        readings: new Map([[readingKeyOf(b), err]]),
        latest: none,
        quarantine: new Map([[2, new Error('s3')]]),
      }),
    ).toEqual({ index: 1, error: err });
    expect(
      firstFailedRecord(plan, { readings: none, latest: new Map([[latestKeyOf(a), err]]), quarantine: none })?.index,
    ).toBe(0);
  });
});
