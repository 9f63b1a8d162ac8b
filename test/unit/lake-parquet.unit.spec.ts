/**
 * The lake's Parquet writer opens a DuckDB instance per write and closes it (its memory goes
 * back with it: docs/reliability.md → "Peak memory"), so no write may depend on another:
 * the same events give the same bytes whatever was written before, sorted by asset,
 * measurement and time, and a failed write leaves the next one whole.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter, ParquetWriteError } from '../../src/lake/parquet.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { readingEvent } from '../support/reading-events.ts';
import { tempDir } from '../support/tmp.ts';

const events = (n: number, offset = 0): ReadingEvent[] =>
  Array.from({ length: n }, (_, i) =>
    readingEvent({
      substation: `S${(i * 7) % 3}`,
      feeder: String(i % 4),
      measurement: i % 2 ? 'l1_voltage' : 'total_active_power',
      ts: Date.parse('2025-08-11T00:00:00Z') + (((i + offset) * 7919) % 5000) * 60_000,
      value: i + offset,
      ingestedAt: '2025-08-12T00:00:00Z',
    }),
  );

describe('DuckDbParquetWriter', () => {
  let writer: DuckDbParquetWriter;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
    writer = await DuckDbParquetWriter.open({ tmpDir: tmp.dir });
  });
  afterAll(async () => {
    await writer.close();
    await tmp.cleanup();
  });

  it('gives the same bytes for the same events whatever it wrote before', async () => {
    const first = await writer.write(events(3000));
    await writer.write(events(5000, 17));
    const again = await writer.write(events(3000));
    const other = await DuckDbParquetWriter.open();
    try {
      expect(again.equals(first)).toBe(true);
      expect((await other.write(events(3000))).equals(first)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('writes every row once, sorted by asset, measurement and time', async () => {
    const input = events(2000, 5);
    const file = join(tmp.dir, 'check.parquet');
    await writeFile(file, await writer.write(input));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const read = await c.runAndReadAll(`SELECT asset_id, measurement, epoch_ms(ts) AS ms FROM '${file}'`);
      const rows = read.getRowObjects().map((r) => [String(r.asset_id), String(r.measurement), Number(r.ms)] as const);
      const expected = input
        .map((e) => [e.asset_id, e.measurement, Date.parse(e.ts)] as const)
        .sort((a, b) =>
          a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[2] - b[2],
        );
      expect(rows).toEqual(expected);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });

  it('writes the next buffer whole after a write that failed', async () => {
    const bad = { ...events(1)[0], ts: 'not a time' } as ReadingEvent;
    await expect(writer.write([...events(10), bad])).rejects.toBeInstanceOf(ParquetWriteError);
    const after = await writer.write(events(3000));
    expect(after.equals(await writer.write(events(3000)))).toBe(true);
  });
});
