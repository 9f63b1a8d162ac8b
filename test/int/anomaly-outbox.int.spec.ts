import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAnomalyHandler, type AnomalyHandlerDeps } from '../../src/consumers/anomaly/handler.ts';
import { S3AlertArchive } from '../../src/consumers/anomaly/archive.ts';
import { sweepOutbox } from '../../src/consumers/anomaly/outbox.ts';
import { ALERTS_COLUMNS } from '../../src/shared/glue.ts';
import type { AlertMessage, AlertPublisher } from '../../src/consumers/anomaly/publisher.ts';
import { resolveRulesConfig } from '../../src/consumers/anomaly/rules/config.ts';
import { AlertStore } from '../../src/consumers/anomaly/store/alert-store.ts';
import { WindowStore, type WindowMeta } from '../../src/consumers/anomaly/store/window-store.ts';
import type { WindowData } from '../../src/consumers/anomaly/window.ts';
import { toKinesisEvent } from '../../src/shared/kinesis/invoke.ts';
import { seriesIdOf, type ReadingEvent } from '../../src/shared/event.ts';
import { deaggregate, KeyedAggregator } from '../../src/shared/kpl.ts';
import { consumerQuarantineKeyOf } from '../../src/shared/quarantine.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, STREAM } from '../../src/shared/resources.ts';
import { readingEvent } from '../support/reading-events.ts';
import { useBareStack } from '../support/bare-stack.ts';
import { PUBLISHED_METRICS, SummingCounter } from '../../src/shared/telemetry.ts';

/** Voltage readings of one feeder every 10 minutes: 240 V, except 0 V at the given minutes. */
function voltages(substation: string, from: number, to: number, dead: readonly number[]): ReadingEvent[] {
  const out: ReadingEvent[] = [];
  for (let m = from; m <= to; m += 10) {
    out.push({
      ...readingEvent({
        substation,
        measurement: 'l1_voltage',
        ts: Date.parse('2025-08-14T00:00:00Z') + m * 60_000,
        value: dead.includes(m) ? 0 : 240 + (m % 30) / 10,
        sourceLine: m + 2,
      }),
      unit: 'V',
      phase: 'L1',
    });
  }
  return out;
}

/** A real-shaped event: the readings KPL-aggregated per substation, one Kinesis record per aggregate. */
let seq = 1_000;
function kinesisEvent(events: readonly ReadingEvent[]): KinesisStreamEvent {
  const agg = new KeyedAggregator(2 * 1024);
  const records = events.flatMap((e) => agg.add(e.substation_id, Buffer.from(JSON.stringify(e))));
  records.push(...agg.flush());
  return toKinesisEvent(
    records.map((r) => ({
      sequenceNumber: String(seq++).padStart(56, '4'),
      partitionKey: r.partitionKey,
      data: r.data,
      arrival: new Date(),
    })),
    {
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      stream: STREAM.streamName,
      shardId: 'shardId-000000000000',
      consumer: 'anomaly',
    },
  );
}

class RecordingPublisher implements AlertPublisher {
  readonly sent: AlertMessage[] = [];
  failing = false;
  async publish(m: AlertMessage): Promise<{ messageId: string }> {
    if (this.failing) throw new Error('topic unavailable');
    this.sent.push(m);
    return { messageId: `m-${this.sent.length}` };
  }
}

describe('anomaly handler against the embedded DynamoDB', () => {
  const bare = useBareStack();
  const config = resolveRulesConfig();

  const handlerWith = (publisher: AlertPublisher, extra: Pick<AnomalyHandlerDeps, 'windows' | 'metrics'> = {}) => {
    const { clients } = bare();
    return createAnomalyHandler({
      doc: clients.doc,
      s3: clients.s3,
      bucket: clients.names.bucket,
      publisher,
      config,
      ...extra,
    });
  };

  it('keeps a notification whose publishing failed in the outbox (stored once) until the sweeper publishes it', async () => {
    const publisher = new RecordingPublisher();
    publisher.failing = true;
    const counter = new SummingCounter();
    const handler = handlerWith(publisher, { metrics: counter });
    const readings = voltages('OBX1', 0, 60, [30]);
    const event = kinesisEvent(readings);
    const out = await handler(event);
    expect(out.batchItemFailures).toEqual([]); // stored: the batch is applied whatever the topic does
    expect(Object.fromEntries(counter.sums)).toMatchObject({
      RecordsReceived: event.Records.length,
      Readings: readings.length,
      RecordsFailed: 0,
      ReadingsQuarantined: 0,
      NotificationsStored: 2,
      NotificationsPublished: 0,
      PublishFailures: 2,
    });
    expect([...counter.sums.keys()].sort()).toEqual([...PUBLISHED_METRICS.anomaly].sort());
    const alerts = new AlertStore(bare().clients.doc);
    const pending = await alerts.pending('9999');
    expect(pending.map((n) => [n.kind, n.rule, n.asset_id])).toEqual([
      ['open', 'loss_of_supply', 'OBX1:01'],
      ['close', 'loss_of_supply', 'OBX1:01'],
    ]);
    expect(pending.every((n) => n.published_at === undefined)).toBe(true);

    // Young notifications are left to the consumer publishing them; with no grace they go.
    const archive = new S3AlertArchive(bare().clients.s3, bare().clients.names.bucket);
    expect((await sweepOutbox({ alerts, publisher, archive, graceMs: 60_000 })).pending).toBe(0);
    publisher.failing = false;
    const swept = await sweepOutbox({ alerts, publisher, archive, graceMs: 0 });
    expect(swept).toMatchObject({ pending: 2, published: 2, failed: 0 });
    expect(publisher.sent.map((m) => m.attributes.kind)).toEqual(['open', 'close']);
    expect(await alerts.pending('9999')).toEqual([]);
    const stored = (await alerts.notifications()).filter((n) => n.asset_id === 'OBX1:01');
    expect(stored.every((n) => typeof n.published_at === 'string')).toBe(true);
    expect((await sweepOutbox({ alerts, publisher, archive, graceMs: 0 })).pending).toBe(0);

    // Each notification is one row in the alert lake, under its incident's opening day, keyed by its id.
    const listed = await bare().clients.s3.send(
      new ListObjectsV2Command({ Bucket: bare().clients.names.bucket, Prefix: 'processed/alerts/' }),
    );
    const keys = (listed.Contents ?? [])
      .map((o) => o.Key ?? '')
      .filter((k) => stored.some((n) => k.endsWith(`/${n.notification_id}.json`)));
    expect(keys.sort()).toEqual(
      stored.map((n) => `processed/alerts/y=2025/m=08/d=14/${n.notification_id}.json`).sort(),
    );
    const rows = await Promise.all(
      keys.map(
        async (Key) =>
          JSON.parse(
            await (
              await bare().clients.s3.send(new GetObjectCommand({ Bucket: bare().clients.names.bucket, Key }))
            ).Body!.transformToString(),
          ) as Record<string, unknown>,
      ),
    );
    expect(rows.map((r) => [r.kind, r.rule, r.asset_id, r.severity]).sort()).toEqual([
      ['close', 'loss_of_supply', 'OBX1:01', 'critical'],
      ['open', 'loss_of_supply', 'OBX1:01', 'critical'],
    ]);
    expect(Object.keys(rows[0] ?? {})).toEqual(ALERTS_COLUMNS.map((c) => c.name));
  });

  it('fails the batch from the first record of a window another writer moved on, and applies it exactly once on retry', async () => {
    const publisher = new RecordingPublisher();
    // Another substation's readings first: their records apply; the target's fail from its first record on.
    const event = kinesisEvent([...voltages('CNF0', 0, 150, []), ...voltages('CNF1', 0, 150, [20])]);
    const firstOfTarget = event.Records.findIndex((r) => r.kinesis.partitionKey === 'CNF1');
    expect(firstOfTarget).toBeGreaterThan(0);
    const target = seriesIdOf('CNF1:01', 'l1_voltage');
    // A store whose first save of the target window races a concurrent writer (a real conditional failure).
    class RacingStore extends WindowStore {
      raced = false;
      override async save(id: string, meta: WindowMeta, data: WindowData, expected: number): Promise<number> {
        if (id === target && !this.raced) {
          this.raced = true;
          await new WindowStore(bare().clients.doc).save(id, meta, data, expected);
        }
        return super.save(id, meta, data, expected);
      }
    }
    const racing = handlerWith(publisher, { windows: new RacingStore(bare().clients.doc) });
    const first = await racing(event);
    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      event.Records.slice(firstOfTarget).map((r) => r.kinesis.sequenceNumber),
    );

    // The mapping retries from the failed record; the other writer had applied the same readings.
    const retry = await handlerWith(publisher)(event);
    expect(retry.batchItemFailures).toEqual([]);
    const stored = (await new AlertStore(bare().clients.doc).notifications()).filter((n) => n.asset_id === 'CNF1:01');
    expect(stored.map((n) => n.kind).sort()).toEqual(['close', 'open']);
    // Published once: by the attempt that stored them, not again by the retry.
    expect(publisher.sent.map((m) => m.attributes.kind).sort()).toEqual(['close', 'open']);
  });

  it('quarantines an unusable reading inside a good record and applies the rest', async () => {
    const publisher = new RecordingPublisher();
    const good = voltages('QRN1', 0, 20, []);
    const bad = { ...good[1]!, ts: '2025-08-14T00:05:00.000Z', unit: 'furlongs' } as unknown as ReadingEvent;
    const event = kinesisEvent([good[0]!, bad, good[2]!]);
    const out = await handlerWith(publisher)(event);
    expect(out.batchItemFailures).toEqual([]);
    const [w] = [
      ...(await new WindowStore(bare().clients.doc).getMany([seriesIdOf('QRN1:01', 'l1_voltage')])).values(),
    ];
    expect(w?.data.hist.map((s) => s.t)).toHaveLength(2);
    const rec = event.Records.find((r) =>
      deaggregate({
        data: r.kinesis.data,
        partitionKey: r.kinesis.partitionKey,
        sequenceNumber: r.kinesis.sequenceNumber,
      }).some((u) => u.data.toString().includes('furlongs')),
    );
    const key = consumerQuarantineKeyOf('anomaly', 'shardId-000000000000', rec!.kinesis.sequenceNumber);
    const entry = await bare().clients.s3.send(new GetObjectCommand({ Bucket: bare().clients.names.bucket, Key: key }));
    expect(await entry.Body?.transformToString()).toMatch(/furlongs/);
  });
});
