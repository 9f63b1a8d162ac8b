/**
 * The stale_feed watchdog on the real embedded tables (dynalite), through the anomaly
 * consumer's handler as the event source mapping invokes it, on an injected wall clock:
 *
 * - the same readings give the same incidents ingested at once (one batch per shard,
 *   the idle shard's first) and fed slowly in time order (a batch per shard every ten
 *   minutes of data, one minute of wall clock apart) with one shard kept idle;
 * - applying every record again, twice (what a replay of the anomaly projection does),
 *   changes no incident and stores no notification.
 *
 * Three substations on three shards: S1:01 is silent 02:00–03:20 and resumes at 03:30
 * (stale while silent, data_gap once it resumes); S2:01 reports to the end; S3:01, alone
 * on its shard, stops at 01:00, so that shard goes idle and must leave the low watermark.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createAnomalyHandler } from '../../src/consumers/anomaly/handler.ts';
import type { AlertPublisher } from '../../src/consumers/anomaly/publisher.ts';
import { resolveRulesConfig } from '../../src/consumers/anomaly/rules/config.ts';
import { AlertStore } from '../../src/consumers/anomaly/store/alert-store.ts';
import { FeedStore } from '../../src/consumers/anomaly/store/feed-store.ts';
import { advanceFeeds, evaluateStale, watchdogTick, type Evaluation } from '../../src/consumers/anomaly/watchdog.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { toKinesisEvent } from '../../src/shared/kinesis/invoke.ts';
import type { StreamRecord } from '../../src/shared/kinesis/shard-reader.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, STREAM, TABLES } from '../../src/shared/resources.ts';
import { useBareStack } from '../support/bare-stack.ts';
import { reading } from '../support/lake-fixture.ts';
import { scanAll } from '../support/tables.ts';

const stack = useBareStack();
const config = resolveRulesConfig({ stale_feed: { idle_minutes: 15 } });
const T0 = Date.parse('2026-01-01T12:00:00Z'); // wall clock
const START = Date.parse('2025-08-14T00:00:00Z');
const STEP = 600_000;
const ROUNDS = 37; // 00:00 … 06:00

const SHARD_OF: Record<string, string> = {
  S1: 'shardId-000000000000',
  S2: 'shardId-000000000001',
  S3: 'shardId-000000000002',
};

function readingsAt(round: number): ReadingEvent[] {
  const ts = new Date(START + round * STEP).toISOString();
  const t = ts.slice(11, 16);
  const out: ReadingEvent[] = [];
  const add = (substation: string, feeder: string): void => {
    out.push(reading({ substation, feeder, measurement: 'total_active_power', ts, value: 10 + (round % 5) }));
  };
  if (t < '02:00' || t >= '03:30') add('S1', '01');
  add('S1', '02');
  add('S2', '01');
  if (t <= '01:00') add('S3', '01');
  return out;
}

let seq = 0;
const recordsOf = (events: readonly ReadingEvent[]): StreamRecord[] =>
  events.map((e) => ({
    sequenceNumber: String(++seq).padStart(20, '0'),
    partitionKey: e.substation_id,
    data: Buffer.from(JSON.stringify(e)),
    arrival: new Date(T0),
  }));

const nothing: AlertPublisher = { publish: async () => ({ messageId: 'm' }) };

function pipeline(clock: { now: number }) {
  const s = stack();
  const handler = createAnomalyHandler({
    doc: s.clients.doc,
    s3: s.clients.s3,
    bucket: s.clients.names.bucket,
    publisher: nothing,
    config,
    now: () => clock.now,
  });
  const feed = async (substation: string, events: readonly ReadingEvent[]): Promise<void> => {
    if (!events.length) return;
    const source = {
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      stream: STREAM.streamName,
      shardId: SHARD_OF[substation] as string,
      consumer: 'anomaly',
    };
    const response = await handler(toKinesisEvent(recordsOf(events), source));
    expect(response.batchItemFailures).toEqual([]);
  };
  const tick = () =>
    watchdogTick({
      feeds: new FeedStore(s.clients.doc),
      alerts: new AlertStore(s.clients.doc),
      config,
      now: () => clock.now,
      publisher: nothing,
      archive: { put: async () => undefined },
    });
  return { feed, tick };
}

async function incidents(): Promise<string[]> {
  const all = await new AlertStore(stack().clients.doc).incidents();
  return all.map((i) => `${i.asset_id} ${i.rule} ${i.alert_id} ${i.opened_at} ${i.status} ${i.closed_at ?? ''}`).sort();
}

async function notificationCount(): Promise<number> {
  return (await new AlertStore(stack().clients.doc).notifications()).length;
}

async function clear(): Promise<void> {
  const { doc } = stack().clients;
  for (const def of [TABLES.alerts, TABLES.windows, TABLES.feeds]) {
    const keys = [def.partitionKey.name, ...('sortKey' in def ? [def.sortKey.name] : [])];
    const items = await scanAll(doc, def.tableName);
    for (let i = 0; i < items.length; i += 25) {
      await doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [def.tableName]: items
              .slice(i, i + 25)
              .map((it) => ({ DeleteRequest: { Key: Object.fromEntries(keys.map((k) => [k, it[k]])) } })),
          },
        }),
      );
    }
  }
}

const all = Array.from({ length: ROUNDS }, (_, r) => readingsAt(r)).flat();
const of = (events: readonly ReadingEvent[], substation: string): ReadingEvent[] =>
  events.filter((e) => e.substation_id === substation);

describe('stale_feed: event time, the low watermark and idle shards', () => {
  let atOnce: string[] = [];

  it('a file ingested at once: the silence inside it and the feed that stopped are found', async () => {
    const clock = { now: T0 };
    const { feed } = pipeline(clock);
    await feed('S3', of(all, 'S3'));
    clock.now = T0 + 20 * 60_000; // S3's shard has been idle longer than idle_minutes
    await feed('S1', of(all, 'S1'));
    await feed('S2', of(all, 'S2'));
    atOnce = await incidents();
    const stale = atOnce.filter((l) => l.includes(' stale_feed '));
    expect(stale).toHaveLength(2);
    expect(stale.find((l) => l.startsWith('S1:01 '))).toMatch(
      /2025-08-14T02:20:00.000Z closed 2025-08-14T03:30:00.000Z$/,
    );
    expect(stale.find((l) => l.startsWith('S3:01 '))).toMatch(/2025-08-14T01:30:00.000Z open $/);
    // stale while silent, data_gap once it resumes
    expect(atOnce.filter((l) => l.startsWith('S1:01 data_gap'))).toHaveLength(1);
  });

  it('applying every record again, twice (a replay), changes no incident and stores nothing', async () => {
    const { feed } = pipeline({ now: T0 + 30 * 60_000 });
    const before = await notificationCount();
    for (let pass = 0; pass < 2; pass++) for (const s of ['S1', 'S2', 'S3']) await feed(s, of(all, s));
    expect(await incidents()).toEqual(atOnce);
    expect(await notificationCount()).toBe(before);
  });

  it('the same readings fed slowly in time order, with a shard kept idle, give the same incidents', async () => {
    await clear();
    const clock = { now: T0 };
    const { feed, tick } = pipeline(clock);
    let openedBeforeResume = false;
    for (let round = 0; round < ROUNDS; round++) {
      clock.now = T0 + round * 60_000;
      const events = readingsAt(round);
      for (const s of ['S1', 'S2', 'S3']) await feed(s, of(events, s));
      if (round % 5 === 0) await tick(); // the schedule, while the stream goes on
      if (round === 20) openedBeforeResume = (await incidents()).some((l) => l.startsWith('S1:01 stale_feed'));
    }
    // S3's shard went idle at round 21 (01:00 + 15 wall minutes): then the watermark passed S1:01's due
    expect(openedBeforeResume).toBe(false);
    expect(await incidents()).toEqual(atOnce);
  });

  it("a substation's first readings are no silence, even judged between its feeds and its watermark", async () => {
    await clear();
    const { doc } = stack().clients;
    const deps = (feeds: FeedStore) => ({ feeds, alerts: new AlertStore(doc), config, now: () => T0 });
    // S2's key is hours ahead in event time: the low watermark is 06:00 while it alone has a mark
    await advanceFeeds(
      SHARD_OF.S2 as string,
      [{ partitionKey: 'S2', events: of(all, 'S2') }],
      deps(new FeedStore(doc)),
    );
    // S1's first half hour, with the evaluator run in the window a consumer leaves between
    // storing a batch's feeds (due by 00:50) and raising that batch's key's watermark
    let inTheWindow: Evaluation | undefined;
    class EvaluatedBeforeMark extends FeedStore {
      override async markShard(shardId: string, wms: ReadonlyMap<string, number>, nowMs: number): Promise<void> {
        inTheWindow = await evaluateStale(deps(new FeedStore(doc)));
        await super.markShard(shardId, wms, nowMs);
      }
    }
    const first = [0, 1, 2].flatMap((r) => of(readingsAt(r), 'S1'));
    await advanceFeeds(
      SHARD_OF.S1 as string,
      [{ partitionKey: 'S1', events: first }],
      deps(new EvaluatedBeforeMark(doc)),
    );
    expect(inTheWindow?.low_watermark).toBe(START + (ROUNDS - 1) * STEP);
    expect(inTheWindow?.opened).toBe(0);
    // once S1's key has its mark it holds the minimum at 00:20, so nothing is due either
    expect(await evaluateStale(deps(new FeedStore(doc)))).toMatchObject({ low_watermark: START + 2 * STEP, opened: 0 });
    expect((await incidents()).filter((l) => l.includes(' stale_feed '))).toEqual([]);
  });
});
