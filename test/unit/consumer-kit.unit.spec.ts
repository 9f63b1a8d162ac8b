import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { kinesisConsumer, streamNameOf } from '../../src/consumers/kit/consumer.ts';
import {
  killAt,
  parseFaultSpec,
  poisonAt,
  PoisonedReadingError,
  type FaultPoint,
} from '../../src/consumers/kit/fault.ts';
import type { DecodedRecord } from '../../src/consumers/kit/decode.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { readingEvent } from '../support/reading-events.ts';
import { settleInOrder } from '../../src/consumers/kit/settle.ts';
import { METRIC, SummingCounter } from '../../src/shared/telemetry.ts';
import type { S3Client } from '@aws-sdk/client-s3';

const ARN = 'arn:aws:kinesis:eu-west-2:123456789012:stream/dubegrid-readings';

function record(shard: string, seq: string, body: unknown): KinesisStreamRecord {
  return {
    eventID: `${shard}:${seq}`,
    eventSourceARN: ARN,
    kinesis: { sequenceNumber: seq, partitionKey: 'k', data: Buffer.from(JSON.stringify(body)).toString('base64') },
  } as unknown as KinesisStreamRecord;
}

const event = (...records: KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: records });

describe('consumer kit', () => {
  it('names the stream from the event source ARN', () => {
    expect(streamNameOf(record('shardId-0', '1', {}))).toBe('dubegrid-readings');
    expect(streamNameOf(undefined)).toBe('unknown-stream');
  });

  it('settles in order: records before the first failure succeed, it and later ones fail', async () => {
    const e = event(record('s', '1', {}), record('s', '2', {}), record('s', '3', {}));
    expect(await settleInOrder(e, undefined)).toEqual({ batchItemFailures: [] });
    expect(await settleInOrder(e, { index: 1, error: new Error('boom') })).toEqual({
      batchItemFailures: [{ itemIdentifier: '2' }, { itemIdentifier: '3' }],
    });
  });

  it('decodes, hands the batch over, counts it, and calls the fault hook per shard batch', async () => {
    const points: FaultPoint[] = [];
    const metrics = new SummingCounter();
    const handler = kinesisConsumer(
      {
        name: 'probe',
        async apply(batch) {
          expect(batch.stream).toBe('dubegrid-readings');
          const rejected = batch.records.reduce((n, r) => n + r.rejected.length, 0);
          return { readings: batch.records.reduce((n, r) => n + r.events.length, 0), quarantined: rejected };
        },
      },
      { s3: {} as S3Client, bucket: 'b', metrics, fault: (at) => void points.push(at) },
    );
    await handler(event(record('shardId-A', '1', { not: 'an event' })));
    await handler(event(record('shardId-A', '2', { not: 'an event' })));
    await handler(event(record('shardId-B', '3', { not: 'an event' })));
    expect(points.map((p) => `${p.consumer}/${p.shardId}/${p.batch}/${p.phase}`)).toEqual([
      'probe/shardId-A/1/decoded',
      'probe/shardId-A/1/applied',
      'probe/shardId-A/2/decoded',
      'probe/shardId-A/2/applied',
      'probe/shardId-B/1/decoded',
      'probe/shardId-B/1/applied',
    ]);
    expect(
      [METRIC.recordsReceived, METRIC.readingsQuarantined, METRIC.recordsFailed].map((m) => metrics.sums.get(m)),
    ).toEqual([3, 3, 0]);
  });
});

describe('fault hook', () => {
  it('parses <consumer>:<batch>:<phase> and refuses anything else', () => {
    expect(parseFaultSpec('state:3:applied')).toEqual({ consumer: 'state', batch: 3, phase: 'applied' });
    expect(() => parseFaultSpec('state:0:applied')).toThrow(/counts from 1/);
    expect(() => parseFaultSpec('state:3:later')).toThrow(/<consumer>:<batch>:<phase>/);
  });

  it('kills only at the named point', () => {
    let killed = 0;
    const hook = killAt(parseFaultSpec('state:2:applied'), () => void killed++);
    hook({ consumer: 'state', shardId: 'a', batch: 1, phase: 'applied', records: [] });
    hook({ consumer: 'anomaly', shardId: 'a', batch: 2, phase: 'applied', records: [] });
    hook({ consumer: 'state', shardId: 'a', batch: 2, phase: 'decoded', records: [] });
    expect(killed).toBe(0);
    hook({ consumer: 'state', shardId: 'a', batch: 2, phase: 'applied', records: [] });
    expect(killed).toBe(1);
  });

  it('poisons, before apply, only the named consumer’s batches that hold the reading, saying where it is', async () => {
    const reading = (id: string) => ({ event_id: id }) as ReadingEvent;
    const records = ['e1', 'e2', 'e3'].map(
      (id, index) =>
        ({
          index,
          shardId: 'a',
          sequenceNumber: String(index),
          partitionKey: 'k',
          events: [reading(id)],
          rejected: [],
        }) as DecodedRecord,
    );
    const heard: string[] = [];
    const hook = poisonAt('state', 'e2', (m) => heard.push(m));
    const at =
      (consumer: string, phase: 'decoded' | 'applied', recs = records) =>
      () =>
        hook({ consumer, shardId: 'a', batch: 1, phase, records: recs });
    expect(at('anomaly', 'decoded')).not.toThrow();
    expect(at('state', 'applied')).not.toThrow();
    expect(at('state', 'decoded', [records[0]!, records[2]!])).not.toThrow();
    expect(at('state', 'decoded')).toThrow(PoisonedReadingError);
    expect(heard).toEqual(['state/a: batch of 3 record(s) poisoned at record 1 (reading e2)']);
    // through the kit: a poisoned batch throws and nothing of it is applied
    const ev = readingEvent({ substation: 'LV1', ts: '2025-08-14T15:00:00.000Z', value: 240 });
    let applied = 0;
    const handler = kinesisConsumer(
      {
        name: 'state',
        async apply() {
          applied++;
          return { readings: 1, quarantined: 0 };
        },
      },
      { s3: {} as S3Client, bucket: 'b', fault: poisonAt('state', ev.event_id) },
    );
    await expect(handler(event(record('shardId-A', '1', ev)))).rejects.toThrow(PoisonedReadingError);
    expect(applied).toBe(0);
  });
});
