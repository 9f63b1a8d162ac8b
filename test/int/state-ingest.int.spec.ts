/**
 * The state projection fed by the real splitter: a generated LV monitor file lands in
 * raw/, the splitter puts its events on the stream, the state consumer projects them.
 * The splitter's manifest says what to expect (events, digest, per-shard sequence).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingItem } from '../../src/consumers/state/items.ts';
import { generate } from '../../src/generate/index.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { createSplitterService } from '../../src/local/services/splitter.ts';
import { stateService } from '../../src/local/services/state.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { EventIdDigest, type ReadingEvent } from '../../src/shared/event.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import { TABLES } from '../../src/shared/resources.ts';
import { eventually } from '../support/eventually.ts';
import { scanAll } from '../support/tables.ts';
import { tempDir } from '../support/tmp.ts';
import { getManifest } from './splitter.support.ts';

describe('state projection of a generated file through the splitter', () => {
  let stack: EmbeddedStack;
  let dir: string;
  let cleanup: () => Promise<void>;
  let csv: Buffer;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    stack = await startStack({ dataDir: dir, services: [createSplitterService({ reconcile: false }), stateService] });
    const summary = await generate({
      out: join(dir, 'generated'),
      substations: 3,
      days: 1,
      intervalMinutes: 30,
      seed: 7,
    });
    csv = await readFile(summary.files[0]!.path);
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  const ingest = async (key: string): Promise<Manifest> => {
    const bucket = stack.clients.names.bucket;
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv }));
    const manifest = await eventually(`the manifest of ${key}`, () => getManifest(stack.clients, key));
    await waitForConsumers(dataPaths(dir), ['state'], manifest.kinesis.shards, { timeoutMs: 60_000 });
    return manifest;
  };
  const snapshot = async () => {
    const readings = await scanAll<ReadingItem>(stack.clients.doc, TABLES.readings.tableName);
    const latest = await scanAll<ReadingEvent>(stack.clients.doc, TABLES.latest.tableName);
    const values = (items: readonly object[], keys: readonly string[]) =>
      items.map((i) => keys.map((k) => (i as Record<string, unknown>)[k]).join('|')).sort();
    return {
      readings,
      latest,
      readingValues: values(readings, ['asset_id', 'sk', 'value', 'unit', 'phase', 'event_id']),
      latestValues: values(latest, ['asset_id', 'measurement', 'ts', 'value', 'event_id']),
    };
  };

  it('holds every reading the manifest counts in `readings`, and the newest of each series in `latest`', async () => {
    const manifest = await ingest('raw/prod/lv/y=2025/m=08/lv_data_2025_08.csv');
    expect(manifest.events_emitted).toBeGreaterThan(1000);
    const { readings, latest } = await snapshot();
    expect(readings).toHaveLength(manifest.events_emitted);
    const digest = new EventIdDigest();
    for (const r of readings) digest.add(r.event_id);
    expect(digest.toString()).toBe(manifest.event_id_digest);

    const newest = new Map<string, ReadingItem>();
    for (const r of readings) {
      const k = `${r.asset_id}|${r.measurement}`;
      if (!newest.has(k) || newest.get(k)!.ts < r.ts) newest.set(k, r);
    }
    expect(latest).toHaveLength(newest.size);
    for (const l of latest)
      expect(l).toMatchObject({
        ts: newest.get(`${l.asset_id}|${l.measurement}`)!.ts,
        value: newest.get(`${l.asset_id}|${l.measurement}`)!.value,
      });
  });

  it('leaves both tables identical in keys and values when the same file is ingested again', async () => {
    // its own first copy (under another key), not the file the test above ingested
    await ingest('raw/prod/lv/y=2025/m=08/lv_data_2025_08_first.csv');
    const before = await snapshot();
    expect(before.readings.length).toBeGreaterThan(1000);
    const again = await ingest('raw/prod/lv/y=2025/m=08/lv_data_2025_08_again.csv');
    const after = await snapshot();
    expect(after.readingValues).toEqual(before.readingValues);
    expect(after.latestValues).toEqual(before.latestValues);
    // only metadata moved: the later emission now stands behind each value
    expect(new Set(after.readings.map((r) => r.source_key))).toEqual(new Set([again.source.key]));
  });
});
