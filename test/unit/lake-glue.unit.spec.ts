import { describe, expect, it } from 'vitest';
import { EVENT_FIELDS } from '../../src/shared/event.ts';
import {
  assetsTableInput,
  FIREHOSE_CONVERSION,
  partitionOf,
  partitionOfKey,
  partitionPrefix,
  READINGS_COLUMNS,
  READINGS_VIEW_SQL,
  readingsTableInput,
  readingsViewTableInput,
} from '../../src/shared/glue.ts';
import { builtinMappings } from '../../src/producers/splitter/mapping/builtin.ts';
import { NAMED_QUERIES, SUMMARY_MEASUREMENTS, type NamedQuery } from '../../src/shared/queries.ts';
import { GLUE } from '../../src/shared/resources.ts';

describe('the Glue definition', () => {
  it('has the contract’s fields in order, ts a timestamp, value a double, v and source_line ints, the rest strings', () => {
    expect(READINGS_COLUMNS.map((c) => c.name)).toEqual([...EVENT_FIELDS]);
    const types = Object.fromEntries(READINGS_COLUMNS.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      ts: 'timestamp',
      value: 'double',
      v: 'int',
      source_line: 'int',
      ingested_at: 'string',
      event_id: 'string',
      phase: 'string',
    });
    expect(Object.values(types).filter((t) => t === 'string')).toHaveLength(EVENT_FIELDS.length - 4);
  });

  it('partitions by the reading’s UTC date, as the Firehose jq query slices it', () => {
    const p = partitionOf('2025-08-14T23:59:59.999Z');
    expect(p).toEqual({ y: '2025', m: '08', d: '14' });
    expect(partitionPrefix(p)).toBe('processed/readings/y=2025/m=08/d=14/');
    expect(FIREHOSE_CONVERSION.partitionQueries).toEqual({ y: '.ts[0:4]', m: '.ts[5:7]', d: '.ts[8:10]' });
    expect(FIREHOSE_CONVERSION.prefix).toBe(
      'processed/readings/y=!{partitionKeyFromQuery:y}/m=!{partitionKeyFromQuery:m}/d=!{partitionKeyFromQuery:d}/',
    );
    expect(partitionOfKey('processed/readings/y=2025/m=08/d=14/x.parquet')).toEqual(p);
    expect(partitionOfKey('processed/readings/y=2025/m=8/d=14/x.parquet')).toBeUndefined();
  });

  it('projects y/m/d partitions onto the processed prefix (no crawler)', () => {
    const t = readingsTableInput('my-bucket');
    expect(t.name).toBe(GLUE.tableName);
    expect(t.partitionKeys).toEqual([
      { name: 'y', type: 'string' },
      { name: 'm', type: 'string' },
      { name: 'd', type: 'string' },
    ]);
    expect(t.parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.y.type': 'integer',
      'projection.m.range': '1,12',
      'projection.m.digits': '2',
      'projection.d.range': '1,31',
      'projection.d.digits': '2',
      'storage.location.template': 's3://my-bucket/processed/readings/y=${y}/m=${m}/d=${d}/',
    });
    expect(t.storageDescriptor.serdeInfo.serializationLibrary).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    );
    expect(assetsTableInput('my-bucket').storageDescriptor.location).toBe('s3://my-bucket/reference/assets/');
  });

  it('stores the readings view as Athena does: a Presto view over the delivered table', () => {
    const v = readingsViewTableInput();
    expect(v.tableType).toBe('VIRTUAL_VIEW');
    const blob = JSON.parse(
      Buffer.from(/^\/\* Presto View: (.*) \*\/$/.exec(v.viewOriginalText ?? '')?.[1] ?? '', 'base64').toString(),
    );
    expect(blob.originalSql).toBe(READINGS_VIEW_SQL);
    expect(blob.schema).toBe(GLUE.databaseName);
    expect(blob.columns.find((c: { name: string }) => c.name === 'ts')).toEqual({ name: 'ts', type: 'timestamp(3)' });
    expect(READINGS_VIEW_SQL).toMatch(
      /PARTITION BY event_id, asset_id, measurement, y, m, d ORDER BY ingested_at DESC, source_key DESC, source_line DESC/,
    );
  });
});

describe('the named queries', () => {
  it('bind every parameter, read every lake relation through its month partitions, and use only shared SQL', () => {
    // a summary's readings form (its fallback while the month's facts are stale) too
    const forms = Object.values(NAMED_QUERIES).flatMap((q): NamedQuery[] => [q, ...(q.fallback ? [q.fallback] : [])]);
    const lake = '(readings(?:_hourly|_daily)?|alerts|asset_intervals_daily|asset_gaps_daily)';
    for (const q of forms) {
      expect((q.sql.match(/\?/g) ?? []).length).toBe(q.bind.length);
      expect([...new Set(q.bind)].sort()).toEqual(q.parameters.map((p) => p.name).sort());
      const reads = q.sql.match(new RegExp(`FROM ${lake}\\b[^,)]*`, 'g')) ?? [];
      expect(reads.length).toBeGreaterThan(0);
      for (const r of reads) expect(r).toMatch(new RegExp(`^FROM ${lake}\\s+WHERE y = \\? AND m = \\?`));
      // functions one engine lacks (DuckDB: strftime, epoch_ms, list_*; Trino: date_format, to_iso8601, date_add)
      expect(q.sql).not.toMatch(
        /\b(strftime|epoch_ms|date_format|to_iso8601|date_add|day_of_month|last_day|list_\w+|any_value|arbitrary)\s*\(/i,
      );
      expect(q.sql).not.toMatch(/::/);
    }
  });

  it('read measurement slugs the splitter produces', () => {
    // the LV monitor vocabulary is the built-in lv_long mapping's lookup table now
    const lvLong = builtinMappings().find((m) => m.mapping.name === 'lv_long')?.mapping;
    const produced = new Set(Object.values(lvLong?.lookups?.lv_description?.entries ?? {}).map((e) => e.measurement));
    for (const slug of Object.values(SUMMARY_MEASUREMENTS).flat()) expect(produced).toContain(slug);
  });
});
