import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { dedupeDays } from '../../src/ops/query/dedupe.ts';
import { LocalSqlEngine } from '../../src/ops/query/local-engine.ts';
import { rowObjects } from '../../src/ops/query/result.ts';
import { reading, writeLake } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

let writer: DuckDbParquetWriter;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  writer = await DuckDbParquetWriter.open();
  ({ dir, cleanup } = await tempDir('dubegrid-dedupe-'));
});
afterAll(async () => {
  await writer.close();
  await cleanup();
});

const at = (ts: string, value: number, ingestedAt = '2025-09-01T00:00:00.000Z') =>
  reading({ substation: 'LV9', feeder: '01', measurement: 'total_active_power', ts, value, ingestedAt, line: 2 });

describe('the deduplicated days of the local mirror', () => {
  it('are redone only for days whose objects changed, and dropped with their objects', async () => {
    await writeLake(dir, [at('2025-08-01T00:00:00Z', 1), at('2025-08-02T00:00:00Z', 2)], writer, 'a');
    expect(await dedupeDays(dir)).toEqual({ days: 2, deduplicated: 2, removed: 0 });
    expect(await dedupeDays(dir)).toEqual({ days: 2, deduplicated: 0, removed: 0 });

    // a re-delivery and a correction land on 08-02 only
    await writeLake(
      dir,
      [at('2025-08-02T00:00:00Z', 2), at('2025-08-02T00:00:00Z', 5, '2025-09-03T00:00:00.000Z')],
      writer,
      'b',
    );
    expect(await dedupeDays(dir)).toEqual({ days: 2, deduplicated: 1, removed: 0 });
    const engine = await LocalSqlEngine.open({ lakeDir: dir });
    try {
      expect(rowObjects(await engine.run('SELECT d, value FROM readings ORDER BY d'))).toEqual([
        { d: '01', value: 1 },
        { d: '02', value: 5 },
      ]);
      expect(rowObjects(await engine.run('SELECT count(*) AS n FROM readings_delivered'))[0]?.n).toBe(4);
    } finally {
      await engine.close();
    }

    await rm(join(dir, 'processed', 'readings', 'y=2025', 'm=08', 'd=01'), { recursive: true });
    expect(await dedupeDays(dir)).toEqual({ days: 1, deduplicated: 0, removed: 1 });
  });
});
