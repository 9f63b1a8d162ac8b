/**
 * The `readings` view is prunable: an `asset_id` filter on the view reaches the Parquet
 * scan below its dedupe window, where min/max statistics of compacted (sorted) objects
 * skip the other assets' row groups. Checked with DuckDB's EXPLAIN on the very SQL the
 * Glue view stores for Athena; the same SQL with the old window partition (without
 * `asset_id, measurement`) is the control that shows the check can fail.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import {
  READINGS_COLUMNS,
  READINGS_VIEW_PARTITION,
  READINGS_VIEW_SQL,
  readingsViewTableInput,
} from '../../src/shared/glue.ts';
import { GLUE } from '../../src/shared/resources.ts';
import { reading } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

let instance: DuckDBInstance;
let c: DuckDBConnection;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const t = await tempDir('dubegrid-view-prune-');
  cleanup = t.cleanup;
  const writer = await DuckDbParquetWriter.open();
  const rows = ['01', '02', '03'].flatMap((feeder) =>
    [0, 1, 2].map((h) =>
      reading({ substation: 'LV1', feeder, measurement: 'l1_current', ts: `2025-08-01T0${h}:00:00Z`, value: h }),
    ),
  );
  const file = join(t.dir, 'day.parquet');
  writeFileSync(file, await writer.write(rows));
  await writer.close();
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  c = await instance.connect();
  // the delivered table as Athena sees it: the Parquet columns plus the partition columns
  await c.run(
    `CREATE VIEW ${GLUE.tableName} AS SELECT ${READINGS_COLUMNS.map((col) => col.name).join(', ')}, '2025' AS y, '08' AS m, '01' AS d FROM read_parquet('${file}')`,
  );
});
afterAll(async () => {
  c.closeSync();
  instance.closeSync();
  await cleanup();
});

/** The filters DuckDB pushed into Parquet scans, for a one-asset query over a view with this SQL. */
async function scanFilters(viewSql: string): Promise<string> {
  await c.run(`CREATE OR REPLACE VIEW v AS ${viewSql}`);
  const plan = await c.runAndReadAll(
    "EXPLAIN SELECT ts, value FROM v WHERE y = '2025' AND m = '08' AND asset_id = 'LV1:02' AND measurement = 'l1_current'",
  );
  const text = plan
    .getRowsJS()
    .map((r) => String(r[1]))
    .join('\n');
  // the text inside the plan's boxes, one operator after another
  const flat = text.replace(/[│┌┐└┘─┬┴├┤]/g, ' ').replace(/\s+/g, ' ');
  return [...flat.matchAll(/READ_PARQUET(.*?)(?=READ_PARQUET|$)/g)].map((m) => m[1]).join(' | ');
}

describe('the readings view', () => {
  it('partitions its dedupe window by asset and measurement too (event_id alone decides)', () => {
    expect(READINGS_VIEW_PARTITION).toEqual(['event_id', 'asset_id', 'measurement', 'y', 'm', 'd']);
    expect(READINGS_VIEW_SQL).toContain(`PARTITION BY ${READINGS_VIEW_PARTITION.join(', ')} ORDER BY`);
  });

  it('lets an asset filter reach the Parquet scan (EXPLAIN on DuckDB)', async () => {
    const filters = await scanFilters(READINGS_VIEW_SQL);
    expect(filters).toMatch(/Filters:.*asset_id='LV1:02'/);
    expect(filters).toMatch(/Filters:.*measurement='l1_current'/);
    // and the view still answers: one asset's rows only
    await c.run(`CREATE OR REPLACE VIEW v AS ${READINGS_VIEW_SQL}`);
    const rows = await c.runAndReadAll("SELECT count(*) FROM v WHERE asset_id = 'LV1:02'");
    expect(Number(rows.getRowsJS()[0]?.[0])).toBe(3);
  });

  it('control: with the window over event_id, y, m, d only, the asset filter stays above the window', async () => {
    const old = READINGS_VIEW_SQL.replace(
      `PARTITION BY ${READINGS_VIEW_PARTITION.join(', ')}`,
      'PARTITION BY event_id, y, m, d',
    );
    expect(old).not.toBe(READINGS_VIEW_SQL);
    expect(await scanFilters(old)).not.toMatch(/asset_id='LV1:02'/);
  });

  it('is the SQL Athena stores: the Glue view is the same text, so Trino plans the same shape', () => {
    const blob = JSON.parse(
      Buffer.from(
        /^\/\* Presto View: (.*) \*\/$/.exec(readingsViewTableInput().viewOriginalText ?? '')?.[1] ?? '',
        'base64',
      ).toString(),
    ) as { originalSql: string };
    expect(blob.originalSql).toBe(READINGS_VIEW_SQL);
  });
});
