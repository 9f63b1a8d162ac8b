/**
 * Builds contract-v1 reading events and puts them on the stream as the splitter does
 * (KPL-aggregated, one aggregator per substation key), for consumer tests that should
 * not depend on the splitter.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { canonicalTs, eventIdOf, EventIdDigest, type ReadingEvent } from '../../src/shared/event.ts';
import { KeyedAggregator } from '../../src/shared/kpl.ts';
import { compareSequenceNumbers } from '../../src/shared/kinesis/shard-reader.ts';
import type { ShardSequenceTargets } from '../../src/shared/kinesis/wait.ts';

export interface ReadingSpec {
  substation: string;
  feeder?: string;
  measurement?: string;
  ts: string | number | Date;
  value: number;
  ingestedAt?: string | number | Date;
  sourceKey?: string;
  sourceLine?: number;
}

export function readingEvent(s: ReadingSpec): ReadingEvent {
  const feeder = s.feeder ?? '01';
  const asset = feeder === '' ? s.substation : `${s.substation}:${feeder}`;
  const measurement = s.measurement ?? 'l1_voltage';
  const ts = canonicalTs(typeof s.ts === 'string' ? Date.parse(s.ts) : s.ts);
  return {
    v: 1,
    event_id: eventIdOf(asset, measurement, ts),
    asset_id: asset,
    substation_id: s.substation,
    substation_name: `Substation ${s.substation}`,
    feeder_id: feeder,
    measurement,
    phase: measurement.startsWith('l1_') ? 'L1' : null,
    unit: measurement.endsWith('voltage') ? 'V' : 'kW',
    value: s.value,
    ts,
    source_bucket: 'dubegrid-000000000000-eu-west-2',
    source_key: s.sourceKey ?? 'raw/test/file.csv',
    source_etag: '"0123456789abcdef"',
    source_line: s.sourceLine ?? 2,
    ingested_at: canonicalTs(
      s.ingestedAt === undefined
        ? Date.now()
        : typeof s.ingestedAt === 'string'
          ? Date.parse(s.ingestedAt)
          : s.ingestedAt,
    ),
  };
}

/** `substations` × `feeders` × `measurements` series, `points` readings each, 10 minutes apart. */
export function readingGrid(o: {
  substations: number;
  feeders?: number;
  measurements?: string[];
  points: number;
  start?: string;
  ingestedAt?: string;
  valueAt?: (line: number) => number;
}): ReadingEvent[] {
  const measurements = o.measurements ?? ['l1_voltage', 'total_active_power'];
  const start = Date.parse(o.start ?? '2025-08-14T00:00:00Z');
  const out: ReadingEvent[] = [];
  let line = 2;
  for (let p = 0; p < o.points; p++) {
    for (let s = 0; s < o.substations; s++) {
      for (let f = 1; f <= (o.feeders ?? 2); f++) {
        for (const m of measurements) {
          out.push(
            readingEvent({
              substation: `SUB${String(s).padStart(4, '0')}`,
              feeder: String(f).padStart(2, '0'),
              measurement: m,
              ts: start + p * 600_000,
              value: o.valueAt ? o.valueAt(line) : 230 + ((line * 7) % 23),
              sourceLine: line++,
              ...(o.ingestedAt ? { ingestedAt: o.ingestedAt } : {}),
            }),
          );
        }
      }
    }
  }
  return out;
}

export interface PutResult {
  /** Highest sequence number written per shard: what `waitForConsumers` waits for. */
  readonly targets: ShardSequenceTargets;
  readonly records: number;
  readonly digest: string;
}

/** Puts raw payloads (already aggregated or not) in order, resending what PutRecords reports as failed. */
export async function putPayloads(
  kinesis: KinesisClient,
  stream: string,
  payloads: readonly { partitionKey: string; data: Buffer }[],
): Promise<PutResult> {
  const targets: Record<string, string> = {};
  for (let i = 0; i < payloads.length; i += 500) {
    let pending = payloads.slice(i, i + 500);
    while (pending.length > 0) {
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: pending.map((p) => ({ PartitionKey: p.partitionKey, Data: p.data })),
        }),
      );
      const retry: typeof pending = [];
      (out.Records ?? []).forEach((r, j) => {
        if (r.ErrorCode || !r.ShardId || !r.SequenceNumber) retry.push(pending[j]!);
        else if (!targets[r.ShardId] || compareSequenceNumbers(r.SequenceNumber, targets[r.ShardId]!) > 0)
          targets[r.ShardId] = r.SequenceNumber;
      });
      pending = retry;
    }
  }
  return { targets, records: payloads.length, digest: '' };
}

/** Puts events aggregated per substation, as the splitter does. `maxBytes` caps one aggregate (small: more records). */
export async function putReadingEvents(
  kinesis: KinesisClient,
  stream: string,
  events: readonly ReadingEvent[],
  maxBytes = 64 * 1024,
): Promise<PutResult> {
  const agg = new KeyedAggregator(maxBytes);
  const payloads: { partitionKey: string; data: Buffer }[] = [];
  const digest = new EventIdDigest();
  for (const e of events) {
    digest.add(e.event_id);
    payloads.push(...agg.add(e.substation_id, Buffer.from(JSON.stringify(e))));
  }
  payloads.push(...agg.flush());
  const result = await putPayloads(kinesis, stream, payloads);
  return { ...result, digest: digest.toString() };
}
