/**
 * The rollups' expected_count by the one definition of "expected": a day of one asset
 * reading every 10 minutes (144 readings) and another every 10 minutes whose registry
 * says 5. Coverage is the whole day. The first expects its observed 144; the second the
 * registry's 288, and its interval_s says 300.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_INTERVALS, rollupSql, timestampLiteral } from '../../src/lake/rollups/sql.ts';
import { intervalsOfItems } from '../../src/lake/rollups/registry.ts';

const DAY0 = Date.UTC(2025, 7, 4);
const TEN_MIN = 600_000;
let db: DuckDBInstance;
let c: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  c = await db.connect();
  await c.run("SET TimeZone = 'UTC'");
  await c.run(
    'CREATE TABLE readings (asset_id VARCHAR, substation_id VARCHAR, feeder_id VARCHAR, measurement VARCHAR, unit VARCHAR, ts TIMESTAMP, value DOUBLE)',
  );
  const rows: string[] = [];
  for (const asset of ['S:01', 'S:02'])
    for (let i = 0; i < 144; i++)
      rows.push(
        `('${asset}', 'S', '${asset.slice(2)}', 'l1_voltage', 'V', ${timestampLiteral(DAY0 + i * TEN_MIN)}, 240)`,
      );
  await c.run(`INSERT INTO readings VALUES ${rows.join(', ')}`);
  await c.run(`CREATE TABLE ${REGISTRY_INTERVALS} (asset_id VARCHAR, interval_s BIGINT)`);
  const intervals = intervalsOfItems([
    { asset_id: 'S:02', interval_minutes: 5 },
    { asset_id: 'S:03', interval_minutes: 1 },
    { asset_id: 'S:01' },
  ]);
  for (const [id, s] of intervals) await c.run(`INSERT INTO ${REGISTRY_INTERVALS} VALUES ('${id}', ${s})`);
});
afterAll(() => {
  c.closeSync();
  db.closeSync();
});

describe('rollups honour the registry interval', () => {
  it('daily: the observed cadence where the registry gives none, the registry where it does', async () => {
    const coverage = { firstMs: DAY0, watermarkMs: DAY0 + 143 * TEN_MIN };
    const r = await c.runAndReadAll(
      `SELECT asset_id, count, interval_s, expected_count FROM (${rollupSql('daily', coverage)}) ORDER BY asset_id`,
    );
    expect(r.getRowObjectsJS()).toEqual([
      { asset_id: 'S:01', count: 144n, interval_s: 600n, expected_count: 144n },
      // the watermark 23:50 plus one 5-minute interval: 23:55 → 287 intervals
      { asset_id: 'S:02', count: 144n, interval_s: 300n, expected_count: 287n },
    ]);
  });

  it('hourly: 6 expected at the observed 10 minutes, 12 at the registry 5', async () => {
    const coverage = { firstMs: DAY0, watermarkMs: DAY0 + 143 * TEN_MIN };
    const r = await c.runAndReadAll(
      `SELECT asset_id, expected_count FROM (${rollupSql('hourly', coverage)}) WHERE period_start = ${timestampLiteral(DAY0 + 3_600_000)} ORDER BY asset_id`,
    );
    expect(r.getRowObjectsJS()).toEqual([
      { asset_id: 'S:01', expected_count: 6n },
      { asset_id: 'S:02', expected_count: 12n },
    ]);
  });
});
