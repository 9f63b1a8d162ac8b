import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingItem } from '../../src/consumers/state/items.ts';
import { compareReadings, latestKeyOf, readingKeyOf } from '../../src/consumers/state/items.ts';
import { StateWriter } from '../../src/consumers/state/writer.ts';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dataPaths } from '../../src/local/data-dir.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { eventSourceMappingService } from '../../src/local/esm/service.ts';
import { stateConsumer } from '../../src/local/services/state.ts';
import { CONSUMERS } from '../../src/shared/consumers.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { EventIdDigest, type ReadingEvent } from '../../src/shared/event.ts';
import { KeyedAggregator } from '../../src/shared/kpl.ts';
import { consumerQuarantineKeyOf } from '../../src/shared/quarantine.ts';
import { PREFIXES, STREAM, TABLES } from '../../src/shared/resources.ts';
import { putPayloads, putReadingEvents, readingEvent, readingGrid, type PutResult } from '../support/reading-events.ts';
import { scanAll } from '../support/tables.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const stream = STREAM.streamName;

describe('state consumer on the embedded stack', () => {
  let stack: EmbeddedStack;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // the pipeline's consumer with a short batching window: these tests wait for many small ingests
    const quick = eventSourceMappingService({
      ...stateConsumer,
      settings: { ...CONSUMERS.state, maxBatchingWindowSeconds: 0.1 },
    });
    stack = await startStack({ dataDir: dir, services: [quick] });
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  const ingest = async (events: readonly ReadingEvent[]): Promise<PutResult> => {
    const put = await putReadingEvents(stack.clients.kinesis, stream, events);
    await waitForConsumers(dataPaths(dir), ['state'], put.targets, { timeoutMs: 60_000 });
    return put;
  };
  const readings = () => scanAll<ReadingItem>(stack.clients.doc, TABLES.readings.tableName);
  const latest = () => scanAll<ReadingEvent>(stack.clients.doc, TABLES.latest.tableName);
  const values = (items: readonly object[], keys: string[]) =>
    items
      .map((i) => Object.fromEntries(keys.map((k) => [k, (i as Record<string, unknown>)[k]])))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  it('puts every reading in `readings` and the newest reading of each series in `latest`', async () => {
    const events = readingGrid({ substations: 6, feeders: 2, points: 30 });
    const put = await ingest(events);

    const rows = await readings();
    expect(rows).toHaveLength(events.length);
    const digest = new EventIdDigest();
    for (const r of rows) digest.add(r.event_id);
    expect(digest.toString()).toBe(put.digest);
    const byKey = new Map(rows.map((r) => [`${r.asset_id}|${r.sk}`, r]));
    for (const e of events)
      expect(byKey.get(`${e.asset_id}|${e.ts}#${e.measurement}`)).toMatchObject({
        value: e.value,
        unit: e.unit,
        phase: e.phase,
        event_id: e.event_id,
        source_line: e.source_line,
      });

    const newest = new Map<string, ReadingEvent>();
    for (const e of events) {
      const k = `${e.asset_id}|${e.measurement}`;
      const held = newest.get(k);
      if (!held || compareReadings(e, held) > 0) newest.set(k, e);
    }
    const state = await latest();
    expect(state).toHaveLength(newest.size);
    for (const s of state)
      expect(s).toMatchObject({
        ts: newest.get(`${s.asset_id}|${s.measurement}`)?.ts,
        value: newest.get(`${s.asset_id}|${s.measurement}`)?.value,
      });
  });

  it('answers `dubegrid state` and `dubegrid series` (a date as a prefix) from another process', async () => {
    // the grid of the test above, ingested here too (same event ids: a no-op after it) so this test stands alone
    await ingest(readingGrid({ substations: 6, feeders: 2, points: 30 }));
    const asset = 'SUB0000:01';
    const state = await runCli(['state', asset, '--data-dir', dir]);
    expect(state.code).toBe(0);
    const lines = state.stdout.trim().split('\n');
    expect(lines[0]).toBe(asset);
    expect(lines.slice(3).map((l) => l.split(/\s+/)[0])).toEqual(['l1_voltage', 'total_active_power']);
    expect(lines[3]).toMatch(/^l1_voltage\s+\d+\s+V\s+L1\s+2025-08-14T04:50:00.000Z\s+raw\/test\/file.csv$/);

    const day = await runCli([
      'series',
      asset,
      '--measurement',
      'l1_voltage',
      '--from',
      '2025-08-14',
      '--to',
      '2025-08-14',
      '--json',
      '--data-dir',
      dir,
    ]);
    expect(day.code).toBe(0);
    const series = JSON.parse(day.stdout);
    expect(series).toMatchObject({ count: 30, truncated: false, from: '2025-08-14', to: '2025-08-14' });
    const times = series.readings.map((r: { ts: string }) => r.ts);
    expect(times).toEqual([...times].sort());
    expect(new Set(series.readings.map((r: { measurement: string }) => r.measurement))).toEqual(
      new Set(['l1_voltage']),
    );
    expect(series.readings[0]).not.toHaveProperty('sk');
  });

  it('does not move `latest` back when an older reading arrives after a newer one', async () => {
    await ingest([readingEvent({ substation: 'ORD1', ts: '2025-08-14T12:00:00Z', value: 240 })]);
    await ingest([readingEvent({ substation: 'ORD1', ts: '2025-08-14T11:00:00Z', value: 200 })]);
    const state = (await latest()).filter((s) => s.asset_id === 'ORD1:01');
    expect(state).toEqual([expect.objectContaining({ ts: '2025-08-14T12:00:00.000Z', value: 240 })]);
    expect((await readings()).filter((r) => r.asset_id === 'ORD1:01')).toHaveLength(2);
  });

  it('leaves both tables identical in keys and values when the same readings are ingested again', async () => {
    const events = readingGrid({
      substations: 2,
      points: 5,
      start: '2025-09-01T00:00:00Z',
      ingestedAt: '2025-09-02T00:00:00Z',
    });
    await ingest(events);
    const keys = ['asset_id', 'sk', 'measurement', 'value', 'unit', 'phase', 'event_id', 'ts'];
    const before = {
      r: values(await readings(), keys),
      l: values(await latest(), ['asset_id', 'measurement', 'value', 'ts', 'event_id']),
    };
    await ingest(events.map((e) => ({ ...e, ingested_at: '2025-09-03T00:00:00.000Z' })));
    await ingest(events);
    expect(values(await readings(), keys)).toEqual(before.r);
    expect(values(await latest(), ['asset_id', 'measurement', 'value', 'ts', 'event_id'])).toEqual(before.l);
  });

  it("writes nothing to `readings` when a batch is applied again, even one holding only the series' newest emission", async () => {
    // one reading per series: each batch's only emission is exactly the series' high-water mark
    const events = readingGrid({
      substations: 2,
      points: 1,
      measurements: ['l2_voltage', 'l3_voltage'],
      start: '2025-09-05T00:00:00Z',
      ingestedAt: '2025-09-06T00:00:00Z',
    });
    let putItems = 0;
    const counting = {
      send: (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
        if (command instanceof BatchWriteCommand)
          putItems += Object.values(command.input.RequestItems ?? {}).reduce((n, r) => n + r.length, 0);
        return stack.clients.doc.send(command);
      },
    } as unknown as DynamoDBDocumentClient;
    const writer = new StateWriter({ doc: counting });
    const batch = {
      readings: new Map(events.map((e) => [readingKeyOf(e), e])),
      latest: new Map(events.map((e) => [latestKeyOf(e), e])),
    };
    const first = await writer.write(batch);
    expect(first.readings).toMatchObject({ written: events.length, checked: 0 });
    expect(putItems).toBe(events.length);
    const again = await writer.write(batch);
    expect(again.readings).toMatchObject({ written: 0, unchanged: events.length, checked: events.length });
    expect(putItems).toBe(events.length);
  });

  it('lets a correction (same reading, later emission) win in both tables, and an older emission replayed afterwards not undo it', async () => {
    const original = readingEvent({
      substation: 'COR1',
      ts: '2025-08-20T10:00:00Z',
      value: 231,
      ingestedAt: '2025-08-21T00:00:00Z',
      sourceKey: 'raw/a.csv',
    });
    const corrected = { ...original, value: 236, ingested_at: '2025-08-22T00:00:00.000Z', source_key: 'raw/b.csv' };
    await ingest([original]);
    await ingest([corrected]);
    await ingest([original]); // a replay of the older range
    const row = (await readings()).find((r) => r.asset_id === 'COR1:01');
    expect(row).toMatchObject({ value: 236, source_key: 'raw/b.csv' });
    expect((await latest()).find((s) => s.asset_id === 'COR1:01')).toMatchObject({
      value: 236,
      source_key: 'raw/b.csv',
    });
  });

  it('quarantines a bad reading inside a good aggregated record with its lineage, and applies the good ones', async () => {
    const good = [
      readingEvent({ substation: 'BAD1', ts: '2025-08-14T01:00:00Z', value: 1 }),
      readingEvent({ substation: 'BAD1', ts: '2025-08-14T01:10:00Z', value: 2 }),
    ];
    const bad = {
      ...readingEvent({ substation: 'BAD1', ts: '2025-08-14T01:20:00Z', value: 3 }),
      unit: 'furlongs',
      source_line: 77,
    };
    const agg = new KeyedAggregator();
    agg.add('BAD1', Buffer.from(JSON.stringify(good[0])));
    agg.add('BAD1', Buffer.from(JSON.stringify(bad)));
    agg.add('BAD1', Buffer.from('not json {'));
    agg.add('BAD1', Buffer.from(JSON.stringify(good[1])));
    const put = await putPayloads(stack.clients.kinesis, stream, agg.flush());
    await waitForConsumers(dataPaths(dir), ['state'], put.targets, { timeoutMs: 60_000 });

    expect(
      (await readings())
        .filter((r) => r.asset_id === 'BAD1:01')
        .map((r) => r.value)
        .sort(),
    ).toEqual([1, 2]);
    const [shardId, seq] = Object.entries(put.targets)[0]!;
    const key = consumerQuarantineKeyOf('state', shardId, seq);
    const listed = await stack.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: stack.clients.names.bucket,
        Prefix: `${PREFIXES.quarantine}consumers/state/`,
      }),
    );
    expect(listed.Contents?.map((c) => c.Key)).toContain(key);
    const body = await (
      await stack.clients.s3.send(new GetObjectCommand({ Bucket: stack.clients.names.bucket, Key: key }))
    ).Body!.transformToString();
    const lines = body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      v: 1,
      stage: 'state',
      reason: 'invalid_event',
      line: 77,
      source_key: 'raw/test/file.csv',
      event_id: bad.event_id,
      stream_position: { stream, sequence_number: seq, shard_id: shardId, sub_sequence_number: 1 },
    });
    expect(lines[0].message).toMatch(/unit/);
    expect(lines[1]).toMatchObject({ reason: 'invalid_event', raw: 'not json {', line: null, source_key: '' });
    expect(lines[1].message).toMatch(/not JSON/);
  });
});
