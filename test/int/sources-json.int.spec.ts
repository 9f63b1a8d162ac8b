/**
 * The owner's JSON sources end to end on the embedded stack: seed 003's energy JSON and
 * seed 004's telemetry JSON Lines land in raw/, the splitter reads them through the
 * built-in mappings, and the state, anomaly and lake projections take their readings.
 * Seed 003's negative energy value raises a `negative_value` alert. Seed 004's readings
 * are in units its mapping declares (`km`, `bool`): they reach the tables and the lake
 * like any other, because every reader asks the same unit registry as the splitter.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../src/consumers/anomaly/store/alert-store.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { silentLog } from '../../src/local/service.ts';
import { anomalyService } from '../../src/local/services/anomaly.ts';
import { createLocalFirehose } from '../../src/local/services/firehose.ts';
import { createSplitterService } from '../../src/local/services/splitter.ts';
import { stateService } from '../../src/local/services/state.ts';
import { snsService } from '../../src/local/sns/service.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { openSqlEngine } from '../../src/ops/query/open.ts';
import { rowObjects } from '../../src/ops/query/result.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import { TABLES } from '../../src/shared/resources.ts';
import { eventually } from '../support/eventually.ts';
import { scanAll } from '../support/tables.ts';
import { tempDir } from '../support/tmp.ts';
import { getManifest } from './splitter.support.ts';

const FIXTURES = new URL('../fixtures/sources/', import.meta.url);
const ENERGY_KEY = 'raw/prod/energy/y=2025/m=02/energy-sites.json';
const TELEMETRY_KEY = 'raw/prod/telemetry/y=2025/m=08/vehicle-telemetry.ndjson';

describe('JSON sources on the embedded stack', () => {
  let stack: EmbeddedStack;
  let dir: string;
  let cleanup: () => Promise<void>;
  const manifests: Record<string, Manifest> = {};

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    stack = await startStack({
      dataDir: dir,
      services: [
        snsService,
        (ctx) => createLocalFirehose(ctx, { buffering: { sizeBytes: 1 << 20, intervalMs: 120_000 } }),
        createSplitterService({ reconcile: false }),
        stateService,
        anomalyService,
      ],
      log: silentLog,
    });
    const { s3, names } = stack.clients;
    for (const [key, file] of [
      [ENERGY_KEY, 'energy-sites.json'],
      [TELEMETRY_KEY, 'vehicle-telemetry.ndjson'],
    ] as const) {
      await s3.send(
        new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: await readFile(new URL(file, FIXTURES)) }),
      );
      manifests[key] = await eventually(`the manifest of ${key}`, () => getManifest(stack.clients, key));
      await waitForConsumers(dataPaths(dir), ['state', 'anomaly'], manifests[key].kinesis.shards, {
        timeoutMs: 60_000,
      });
    }
    await stack.flush();
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('splits both with their built-in mappings, accounting for every record', () => {
    expect(manifests[ENERGY_KEY]).toMatchObject({
      format: 'energy_json',
      rows_read: 6,
      rows_accepted: 5,
      quarantine_reasons: { missing_field: 1 },
      events_emitted: 10,
    });
    expect(manifests[TELEMETRY_KEY]).toMatchObject({
      format: 'chargeminder_ndjson',
      rows_read: 5,
      rows_accepted: 4,
      quarantine_reasons: { invalid_json: 1 },
      events_emitted: 7,
    });
  });

  it('projects the energy readings into state, kWh as Wh', async () => {
    const latest = await scanAll<ReadingEvent>(stack.clients.doc, TABLES.latest.tableName);
    const of = (asset: string, measurement: string) =>
      latest.find((l) => l.asset_id === asset && l.measurement === measurement);
    expect(of('site-north-01', 'energy_generated')).toMatchObject({
      value: 198_750,
      unit: 'Wh',
      ts: '2025-02-19T23:30:00.000Z',
    });
    expect(of('test-site-123', 'energy_generated')).toMatchObject({ value: -50_000 });
    const readings = await scanAll<ReadingEvent>(stack.clients.doc, TABLES.readings.tableName);
    expect(readings.filter((r) => r.source_key === ENERGY_KEY)).toHaveLength(10);
  });

  it('projects the telemetry readings into state in their declared units, km and bool', async () => {
    const readings = await scanAll<ReadingEvent>(stack.clients.doc, TABLES.readings.tableName);
    const telemetry = readings.filter((r) => r.source_key === TELEMETRY_KEY);
    expect(telemetry).toHaveLength(7);
    expect(new Set(telemetry.map((r) => r.unit))).toEqual(new Set(['km', 'bool']));
    const latest = await scanAll<ReadingEvent>(stack.clients.doc, TABLES.latest.tableName);
    const of = (vehicle: string, measurement: string) =>
      latest.find((l) => l.asset_id.includes(vehicle) && l.measurement === measurement);
    expect(of('veh-001', 'odometer_traveled_distance')).toMatchObject({
      value: 12_351.2,
      unit: 'km',
      ts: '2025-08-14T15:05:00.000Z',
    });
    expect(of('veh-001', 'charge_is_charging')).toMatchObject({ value: 0, unit: 'bool' });
    expect(of('veh-002', 'charge_is_charging')).toMatchObject({ value: 1, unit: 'bool' });
    expect(of('veh-002', 'odometer_traveled_distance')).toMatchObject({ value: 48_210.5, unit: 'km' });
  });

  it("raises seed 003's negative energy value as a negative_value alert, and nothing else", async () => {
    const incidents = await new AlertStore(stack.clients.doc).incidents();
    expect(incidents.map((i) => [i.rule, i.asset_id, i.measurement])).toEqual([
      ['negative_value', 'test-site-123', 'energy_generated'],
    ]);
  });

  it('puts every reading into the lake, with its source line', async () => {
    const { engine } = await openSqlEngine(stack.clients, dataPaths(dir).cache);
    try {
      const rows = rowObjects(
        await engine.run(
          'SELECT source_key, count(*) AS n, min(source_line) AS first, max(source_line) AS last FROM readings GROUP BY source_key ORDER BY source_key',
          [],
        ),
      );
      expect(rows).toEqual([
        { source_key: ENERGY_KEY, n: 10, first: 2, last: 26 },
        { source_key: TELEMETRY_KEY, n: 7, first: 1, last: 5 },
      ]);
      const units = rowObjects(
        await engine.run('SELECT DISTINCT unit FROM readings WHERE source_key = ? ORDER BY unit', [TELEMETRY_KEY]),
      );
      expect(units).toEqual([{ unit: 'bool' }, { unit: 'km' }]);
    } finally {
      await engine.close();
    }
  });
});
