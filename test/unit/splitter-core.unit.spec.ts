import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { eventIdOf } from '../../src/shared/event.ts';
import { LV_HEADER, SOURCE, INGESTED_AT, lv, reasonsByLine, run } from './splitter.support.ts';
import { LV_SAMPLE, NGED_HEAD } from '../support/shared-fixtures.ts';

const SAMPLE = LV_SAMPLE;
const NGED = NGED_HEAD;

describe('splitter core: the LV monitor sample', () => {
  it('turns every row into one event, mapped as documented, with its lineage', async () => {
    const text = readFileSync(SAMPLE, 'utf8');
    const { summary, events, entries } = await run(text);
    expect(summary).toMatchObject({
      format: 'lv_long',
      rows_read: 14,
      rows_accepted: 14,
      rows_quarantined: 0,
      events_emitted: 14,
    });
    expect(entries).toEqual([]);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(events).toHaveLength(rows.length);
    events.forEach((e, i) => {
      const row = rows[i] as Record<string, string>;
      const feeder = row['Attribute Type'] === 'feeder' ? (row['Feeder ID'] as string) : '';
      expect(e).toMatchObject({
        asset_id: feeder ? `${row['Substation Number']}:${feeder}` : row['Substation Number'],
        substation_id: row['Substation Number'],
        substation_name: row['Substation Name'],
        feeder_id: feeder,
        value: Number(row.Value),
        ts: new Date(row.Timestamp as string).toISOString(),
        source_bucket: SOURCE.bucket,
        source_key: SOURCE.key,
        source_etag: SOURCE.etag,
        source_line: i + 2,
        ingested_at: INGESTED_AT,
      });
    });
    expect(events[7]).toMatchObject({ measurement: 'l3_reactive_power', phase: 'L3', unit: 'kVAr', value: 42.7 }); // "kVAR" in the file
    expect(events[10]).toMatchObject({
      asset_id: 'LV123',
      feeder_id: '',
      measurement: 'total_apparent_power',
      phase: null,
      unit: 'kVA',
    });
    expect(events[0]).toMatchObject({
      measurement: 'l1_current',
      phase: 'L1',
      unit: 'A',
      ts: '2025-08-14T15:00:00.000Z',
    });
    expect(events[0]?.event_id).toBe(eventIdOf('LV123:05', 'l1_current', '2025-08-14T15:00:00.000Z'));
    expect(summary.first_reading_ts).toBe('2025-08-14T15:00:00.000Z');
    expect(summary.last_reading_ts).toBe('2025-08-14T15:10:00.000Z');
  });

  it('maps the whole description vocabulary, case-insensitively', async () => {
    const rows: string[] = [];
    const expected: [string, string | null, string][] = [];
    const units: Record<string, string> = {
      Current: 'A',
      Voltage: 'V',
      'Active Power': 'kW',
      'Reactive Power': 'kVAr',
      'Apparent Power': 'kVA',
      'Power Factor': 'pf',
    };
    for (const phase of ['L1', 'L2', 'L3', 'N']) {
      for (const [q, unit] of Object.entries(units)) {
        rows.push(`S1,,2025-01-01T00:00:00Z,feeder,1,${phase} ${q},${unit},0.5`);
        expected.push([`${phase.toLowerCase()}_${q.toLowerCase().replace(' ', '_')}`, phase, unit]);
      }
    }
    for (const [d, unit, canonical] of [
      ['Total Active Power', 'kW', 'kW'],
      ['TOTAL reactive  power', 'kvar', 'kVAr'],
      ['total apparent power', 'KVA', 'kVA'],
    ] as const) {
      rows.push(`S1,,2025-01-01T00:00:00Z,transformer,,${d},${unit},1`);
      expected.push([d.toLowerCase().replace(/\s+/g, '_'), null, canonical]);
    }
    const { events, summary } = await run(lv(...rows));
    expect(summary.rows_quarantined).toBe(0);
    expect(events.map((e) => [e.measurement, e.phase, e.unit])).toEqual(expected);
  });

  it('reads the header in any case and column order', async () => {
    const text =
      'value,UNITS,description,feeder id,attribute type,timestamp,substation name,substation number\n42.7,kVAR,L3 Reactive Power,05,feeder,2025-08-14T15:00:00Z,Main St,LV123\n';
    const { events } = await run(text);
    expect(events[0]).toMatchObject({
      asset_id: 'LV123:05',
      measurement: 'l3_reactive_power',
      unit: 'kVAr',
      value: 42.7,
    });
  });

  it('encodes names beyond ASCII as UTF-8', async () => {
    const { events } = await run(
      lv(
        'LV1,Café Łódź ✓,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1',
        'LV2,Plain,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1',
      ),
    );
    expect(events.map((e) => e.substation_name)).toEqual(['Café Łódź ✓', 'Plain']);
  });

  it('keeps leading zeros and trims fields', async () => {
    const { events } = await run(lv(' 000123 , Main St ,2025-08-14T15:00:00Z, Feeder ,007,L1 Current,A, 1.5 '));
    expect(events[0]).toMatchObject({
      substation_id: '000123',
      substation_name: 'Main St',
      feeder_id: '007',
      asset_id: '000123:007',
      value: 1.5,
    });
  });
});

describe('splitter core: rows that cannot become events are quarantined with their reason', () => {
  const cases: [string, string, string][] = [
    ['an empty value', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,', 'missing_field'],
    ['an empty substation', ',A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1', 'missing_field'],
    ['a feeder row without a feeder id', 'LV1,A,2025-08-14T15:00:00Z,feeder,,L1 Current,A,1', 'missing_field'],
    ['an empty timestamp', 'LV1,A,,feeder,05,L1 Current,A,1', 'missing_field'],
    ['an empty unit', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,,1', 'missing_field'],
    ['a word for a value', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,high', 'non_numeric'],
    ['a hex value', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,0x1A', 'non_numeric'],
    ['a decimal comma', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,"1,5"', 'non_numeric'],
    ['NaN', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,NaN', 'non_finite'],
    ['Infinity', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,Infinity', 'non_finite'],
    ['-inf', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,-inf', 'non_finite'],
    ['an overflowing value', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1e999', 'non_finite'],
    ['an unparseable time', 'LV1,A,yesterday,feeder,05,L1 Current,A,1', 'bad_timestamp'],
    ['month 13', 'LV1,A,2025-13-01T00:00:00Z,feeder,05,L1 Current,A,1', 'bad_timestamp'],
    ['30 February', 'LV1,A,2025-02-30 10:00:00,feeder,05,L1 Current,A,1', 'bad_timestamp'],
    ['a date without a time', 'LV1,A,2025-08-14,feeder,05,L1 Current,A,1', 'bad_timestamp'],
    ['an unknown unit', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,furlongs,1', 'unknown_unit'],
    ['a voltage in kW', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Voltage,kW,230', 'unit_mismatch'],
    ['a voltage of 99 kV', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Voltage,V,99000', 'out_of_bounds'],
    ['a current of -50 kA', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,-50000', 'out_of_bounds'],
    ['an unknown attribute type', 'LV1,A,2025-08-14T15:00:00Z,meter,05,L1 Current,A,1', 'invalid_field'],
    ['an unknown description', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L4 Current,A,1', 'invalid_field'],
    [
      'a transformer row with a feeder id',
      'LV1,A,2025-08-14T15:00:00Z,transformer,05,Total Apparent Power,kVA,1',
      'invalid_field',
    ],
    ['seven fields', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A', 'column_count'],
    ['nine fields', 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1,extra', 'column_count'],
    [
      'a substation id longer than a partition key',
      `${'S'.repeat(257)},A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1`,
      'invalid_field',
    ],
    [
      'a name with bytes that are not UTF-8',
      'LV1,Caf\uFFFD,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1',
      'invalid_encoding',
    ],
    ['an oversized field', `LV1,${'x'.repeat(5000)},2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1`, 'oversized_field'],
  ];
  for (const [what, row, reason] of cases) {
    it(`${what} → ${reason}, and the rows around it go on`, async () => {
      const good = 'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,10';
      const good2 = 'LV1,A,2025-08-14T15:10:00Z,feeder,05,L1 Current,A,11';
      const { summary, entries, events } = await run(lv(good, row, good2));
      expect(summary).toMatchObject({
        rows_read: 3,
        rows_accepted: 2,
        rows_quarantined: 1,
        quarantine_reasons: { [reason]: 1 },
      });
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ reason, line: 3, raw: row });
      expect(entries[0]?.message.length).toBeGreaterThan(5);
      expect(events.map((e) => e.value)).toEqual([10, 11]);
    });
  }

  it('passes negative and zero values on as events (the anomaly rules judge them)', async () => {
    const { events, summary } = await run(
      lv(
        'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Voltage,V,0',
        'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,-3.5',
        'LV1,A,2025-08-14T15:00:00Z,feeder,05,Total Active Power,kW,-20',
      ),
    );
    expect(summary.rows_quarantined).toBe(0);
    expect(events.map((e) => e.value)).toEqual([0, -3.5, -20]);
  });

  it('names every row of an unknown format, with the header it saw', async () => {
    const { summary, entries, events } = await run('a,b,c\n1,2,3\n4,5,6\n');
    expect(summary).toMatchObject({
      format: 'unknown',
      rows_read: 2,
      rows_quarantined: 2,
      quarantine_reasons: { unknown_format: 2 },
      header: ['a', 'b', 'c'],
    });
    expect(events).toEqual([]);
    expect(entries.map((e) => [e.line, e.raw, e.reason])).toEqual([
      [2, '1,2,3', 'unknown_format'],
      [3, '4,5,6', 'unknown_format'],
    ]);
    expect(entries[0]?.message).toContain('a,b,c');
  });

  it('gives a body that is not CSV one entry naming the object', async () => {
    const binary = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x01, 0x02, 0xff, 0xfe, 0x0a, 0x00, 0x00]);
    const { summary, entries } = await run(binary);
    expect(summary).toMatchObject({
      format: 'not_csv',
      rows_read: 0,
      rows_quarantined: 0,
      header: null,
      stopped_early: { reason: 'not_csv', line: null },
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ reason: 'not_csv', line: null, raw: null });
    expect(entries[0]?.message).toContain(`s3://${SOURCE.bucket}/${SOURCE.key}`);
  });

  it('quarantines a quote that is never closed as one malformed record', async () => {
    const { summary, entries, events } = await run(
      lv(
        'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,10',
        'LV1,"Main St,2025-08-14T15:10:00Z,feeder,05,L1 Current,A,11',
        'LV1,A,2025-08-14T15:20:00Z,feeder,05,L1 Current,A,12',
      ),
    );
    expect(events.map((e) => e.value)).toEqual([10]);
    expect(summary).toMatchObject({ rows_read: 2, rows_quarantined: 1, quarantine_reasons: { malformed_csv: 1 } });
    expect(entries[0]).toMatchObject({ reason: 'malformed_csv', line: 3 });
    expect(entries[0]?.raw).toContain('2025-08-14T15:20:00Z'); // the rest of the file is that record, kept
  });

  it('stops at a record longer than the limit, counting it as one quarantined row', async () => {
    const filler = Array.from(
      { length: 30_000 },
      (_, i) => `LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,${i}`,
    ).join('\n');
    const text = lv(
      'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1',
      `LV1,"runaway,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1`,
      filler,
    );
    const { summary, entries, events } = await run(text, { chunkSize: 64 * 1024 });
    expect(events).toHaveLength(1);
    expect(summary).toMatchObject({
      rows_read: 2,
      rows_accepted: 1,
      rows_quarantined: 1,
      quarantine_reasons: { oversized_record: 1 },
    });
    expect(summary.stopped_early).toMatchObject({ line: 3, reason: 'oversized_record' });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ reason: 'oversized_record', line: 3, raw_truncated: true });
    expect(entries[0]?.message).toContain('quote opened in it is not closed');
  });

  // Issue #18 changed this test: it expected `stopped_early` at line 3 and rows_read = 2 (the split
  // ended at the long line); the long line is now quarantined on its own and the split goes on.
  it('quarantines a line with no break within the limit on its own and goes on with the next line', async () => {
    const text = lv(
      'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1',
      `LV1,${'x'.repeat(1_200_000)},1`,
      'LV1,A,2025-08-14T15:10:00Z,feeder,05,L1 Current,A,2',
    );
    const { summary, entries, events } = await run(text, { chunkSize: 64 * 1024 });
    expect(summary).toMatchObject({
      rows_read: 3,
      rows_accepted: 2,
      rows_quarantined: 1,
      quarantine_reasons: { oversized_record: 1 },
      stopped_early: null,
    });
    expect(events.map((e) => [e.value, e.source_line])).toEqual([
      [1, 2],
      [2, 4],
    ]);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ reason: 'oversized_record', line: 3, raw_truncated: true });
    expect(entries[0]?.raw).toHaveLength(64 * 1024);
    expect(entries[0]?.raw?.startsWith('LV1,xxx')).toBe(true);
    expect(entries[0]?.message).toContain('no line break within the limit');
    expect(entries[0]?.message).toContain('went on with line 4');
  });

  it.each([
    ['LF, whole body', '\n', undefined],
    ['LF, 64 KiB chunks', '\n', 64 * 1024],
    ['CRLF, 4099-byte chunks', '\r\n', 4099],
    ['CR only, 1000-byte chunks', '\r', 1000],
  ])('reads row 2 after a 2 MB unquoted field in row 1 (%s)', async (_name, eol, chunkSize) => {
    const text = [
      LV_HEADER,
      `LV1,${'y'.repeat(2_000_000)},2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1`,
      'LV1,A,2025-08-14T15:10:00Z,feeder,05,L1 Current,A,2',
    ].join(eol);
    const { summary, events, entries } = await run(text, chunkSize === undefined ? {} : { chunkSize });
    expect(summary).toMatchObject({ rows_read: 2, rows_accepted: 1, rows_quarantined: 1, stopped_early: null });
    expect(events.map((e) => [e.value, e.source_line])).toEqual([[2, 3]]);
    expect(entries.map((e) => [e.reason, e.line])).toEqual([['oversized_record', 2]]);
  });

  it('skips a quoted field over the limit that spans lines, once its quote closes, and keeps the line numbers', async () => {
    const text = lv(
      'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1',
      `LV1,"${'z'.repeat(700_000)}\n${'z'.repeat(700_000)}",2025-08-14T15:00:00Z,feeder,05,L1 Current,A,9`,
      'LV1,"Main St, North",2025-08-14T15:10:00Z,feeder,05,L1 Current,A,2',
    );
    const { summary, events, entries } = await run(text, { chunkSize: 50_000 });
    expect(summary).toMatchObject({ rows_read: 3, rows_accepted: 2, rows_quarantined: 1, stopped_early: null });
    expect(events.map((e) => [e.value, e.source_line, e.substation_name])).toEqual([
      [1, 2, 'A'],
      [2, 5, 'Main St, North'],
    ]);
    expect(entries[0]).toMatchObject({ reason: 'oversized_record', line: 3 });
    expect(entries[0]?.message).toContain('runs over 2 lines');
  });

  it('treats a header line over the limit as a body that is not CSV', async () => {
    const { summary, entries } = await run(`${'h'.repeat(1_100_000)}\n${LV_HEADER}\n`, { chunkSize: 65_536 });
    expect(summary).toMatchObject({ format: 'not_csv', rows_read: 0, stopped_early: { reason: 'not_csv' } });
    expect(entries).toHaveLength(1);
  });

  it('keeps the rows before a gzip stream that is cut short, and says where it stopped', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,${i}`);
    const whole = (await import('node:zlib')).gzipSync(Buffer.from(lv(...rows)));
    const cut = whole.subarray(0, Math.floor(whole.length / 2));
    const { summary, entries, events } = await run(cut, { chunkSize: 1024 });
    expect(summary.format).toBe('lv_long');
    expect(summary.rows_read).toBeGreaterThan(0);
    expect(summary.rows_read).toBeLessThan(5000);
    expect(summary.rows_quarantined).toBe(0);
    expect(events.map((e) => e.value)).toEqual(Array.from({ length: summary.rows_read }, (_, i) => i)); // no half line accepted
    expect(summary.stopped_early).toMatchObject({ reason: 'corrupt_body', line: null });
    expect(entries).toEqual([expect.objectContaining({ reason: 'corrupt_body', line: null })]);
  });
});

describe('splitter core: file structure', () => {
  const rows = [
    'LV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,10',
    'LV1,A,2025-08-14T15:10:00Z,feeder,05,L1 Current,A,11',
  ];

  it('reads a UTF-8 BOM and CRLF line endings', async () => {
    const { events, summary } = await run(`\uFEFF${LV_HEADER}\r\n${rows.join('\r\n')}\r\n`);
    expect(summary.format).toBe('lv_long');
    expect(events.map((e) => [e.value, e.source_line])).toEqual([
      [10, 2],
      [11, 3],
    ]);
  });

  it('reads quoted fields with commas and newlines, and numbers later rows by their own line', async () => {
    const text = lv(
      'LV1,"Main St, ""North""\nAnnex",2025-08-14T15:00:00Z,feeder,05,L1 Current,A,10',
      rows[1] as string,
    );
    const { events } = await run(text);
    expect(events[0]).toMatchObject({ substation_name: 'Main St, "North"\nAnnex', source_line: 2 });
    expect(events[1]).toMatchObject({ value: 11, source_line: 4 });
  });

  it('counts a CRLF inside a quoted field as one line break, in CRLF, LF and CR files', async () => {
    const quoted = 'LV1,"Main St\r\nAnnex",2025-08-14T15:00:00Z,feeder,05,L1 Current,A,10';
    const bad = 'LV1,A,2025-08-14T15:20:00Z,feeder,05,L1 Current,A,high';
    for (const eol of ['\r\n', '\n']) {
      const { events, entries } = await run([LV_HEADER, quoted, rows[1], bad, rows[0]].join(eol) + eol);
      expect(events.map((e) => e.source_line)).toEqual([2, 4, 6]);
      expect(entries.map((e) => e.line)).toEqual([5]);
    }
    const mac = await run(
      [LV_HEADER, 'LV1,"Main St\rAnnex",2025-08-14T15:00:00Z,feeder,05,L1 Current,A,10', rows[1]].join('\r') + '\r',
    );
    expect(mac.events.map((e) => e.source_line)).toEqual([2, 4]);
  });

  it('skips blank lines without counting them as rows, keeping line numbers true', async () => {
    const { events, summary } = await run(`\n${LV_HEADER}\n\n${rows[0]}\n   \n\n${rows[1]}\n\n`);
    expect(summary).toMatchObject({ rows_read: 2, rows_quarantined: 0 });
    expect(events.map((e) => e.source_line)).toEqual([4, 7]);
  });

  it('gives an empty file and a header-only file a manifest with no rows', async () => {
    expect((await run('')).summary).toMatchObject({ format: 'empty', rows_read: 0, events_emitted: 0, header: null });
    expect((await run(`${LV_HEADER}\n`)).summary).toMatchObject({ format: 'lv_long', rows_read: 0, events_emitted: 0 });
    expect((await run(LV_HEADER)).summary).toMatchObject({ format: 'lv_long', rows_read: 0 });
  });

  it('reads gzip, whatever the key says', async () => {
    const plain = await run(lv(...rows));
    const zipped = await run(lv(...rows), { gzip: true, chunkSize: 5 });
    expect(zipped.summary.gzip).toBe(true);
    expect(zipped.events).toEqual(plain.events);
  });

  it('gives the same events whatever the chunk boundaries', async () => {
    const text = readFileSync(SAMPLE, 'utf8').replace(/\n/g, '\r\n');
    const whole = await run(`\uFEFF${text}`);
    for (const size of [1, 2, 3, 7, 64])
      expect((await run(`\uFEFF${text}`, { chunkSize: size })).events).toEqual(whole.events);
  });

  it('emits duplicate rows twice under one event id (a correction, or a no-op, for the consumers)', async () => {
    const { events, summary } = await run(lv(rows[0] as string, rows[0] as string));
    expect(summary.rows_accepted).toBe(2);
    expect(events[0]?.event_id).toBe(events[1]?.event_id);
    expect(events.map((e) => e.source_line)).toEqual([2, 3]);
  });

  it('produces the same event ids when the same file is split again', async () => {
    const text = readFileSync(SAMPLE, 'utf8');
    const a = await run(text);
    const b = await run(text, { chunkSize: 13 });
    expect(b.events.map((e) => e.event_id)).toEqual(a.events.map((e) => e.event_id));
    expect(b.summary.event_id_digest).toBe(a.summary.event_id_digest);
  });
});

describe('splitter core: time zones of zone-less LV monitor times', () => {
  it('reads them in the configured zone, the repeated autumn hour as its first occurrence', async () => {
    const text = lv(
      'LV1,A,2025-08-14 16:00:00,feeder,05,L1 Current,A,1', // BST
      'LV1,A,2025-01-14 16:00:00,feeder,05,L1 Current,A,2', // GMT
      'LV1,A,2025-10-26 01:30:00,feeder,05,L1 Current,A,3', // occurs twice: the earlier (BST)
      'LV1,A,2025-03-30 01:30:00,feeder,05,L1 Current,A,4', // never occurs
      'LV1,A,2025-08-14T16:00:00Z,feeder,05,L1 Current,A,5', // a zone wins over the configuration
    );
    const { events, entries } = await run(text, { sourceTimeZone: 'Europe/London' });
    expect(events.map((e) => e.ts)).toEqual([
      '2025-08-14T15:00:00.000Z',
      '2025-01-14T16:00:00.000Z',
      '2025-10-26T00:30:00.000Z',
      '2025-08-14T16:00:00.000Z',
    ]);
    expect(reasonsByLine(entries)).toEqual({ 5: 'bad_timestamp' });
  });
});

describe('splitter core: aggregation', () => {
  it('never puts two partition keys in one record, and keeps records within the cap', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 3000; i++)
      rows.push(
        `SUB${i % 7},Name ${i % 7},2025-08-14T15:${String(i % 60).padStart(2, '0')}:00Z,feeder,0${i % 3},L1 Current,A,${i}`,
      );
    const cap = 5_000;
    const { records, events } = await run(lv(...rows), { aggregateMaxBytes: cap });
    expect(events).toHaveLength(3000);
    expect(new Set(records.map((r) => r.partitionKey)).size).toBe(7);
    for (const r of records) expect(r.data.length).toBeLessThanOrEqual(cap + 20);
    expect(records.length).toBeGreaterThan(7);
    // per key, the events keep file order across that key's records
    const bySub = new Map<string, number[]>();
    for (const e of events) bySub.set(e.substation_id, [...(bySub.get(e.substation_id) ?? []), e.source_line]);
    for (const lines of bySub.values()) expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('sends every open aggregate once they hold more than the budget, losing nothing', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => `SUB${i},N,2025-08-14T15:00:00Z,feeder,01,L1 Current,A,${i}`);
    const { records, events } = await run(lv(...rows), { pendingBudgetBytes: 4_000 });
    expect(events).toHaveLength(500);
    expect(records.length).toBe(500);
  });
});

describe('splitter core: the DNO wide format', () => {
  const ngedText = readFileSync(NGED, 'utf8');

  it('turns each NGED row into one event per non-empty measure column, every one matching its source row', async () => {
    const { summary, events } = await run(ngedText);
    expect(summary).toMatchObject({
      format: 'dno_wide',
      rows_read: 10,
      rows_accepted: 10,
      rows_quarantined: 0,
      rows_without_readings: 0,
      events_emitted: 50,
    });
    const rows = parse(ngedText, { columns: true }) as Record<string, string>[];
    const measures = [
      'aggregated_device_count_Active',
      'Primary_consumption_active_import',
      'Secondary_consumption_active_import',
      'Total_consumption_active_import',
      'Aggregated_device_count_reactive',
      'Total_consumption_reactive_import',
    ];
    const units: Record<string, string> = {
      aggregated_device_count_active: 'count',
      primary_consumption_active_import: 'Wh',
      secondary_consumption_active_import: 'Wh',
      total_consumption_active_import: 'Wh',
      aggregated_device_count_reactive: 'count',
      total_consumption_reactive_import: 'VArh',
    };
    const expected = rows.flatMap((row, i) =>
      measures
        .filter((m) => row[m] !== '')
        .map((m) => ({
          asset_id: `NGED-${row.secondary_substation_id}:${row.LV_feeder_ID}`,
          substation_id: `NGED-${row.secondary_substation_id}`,
          substation_name: row.secondary_substation_name,
          feeder_id: row.LV_feeder_ID,
          measurement: m.toLowerCase(),
          phase: null,
          unit: units[m.toLowerCase()],
          value: Number(row[m]),
          // NGED labels a half-hour by its start: the label is the time
          ts: new Date((row.data_collection_log_timestamp as string).replace(' ', 'T')).toISOString(),
          source_line: i + 2,
        })),
    );
    expect(
      events.map((e) => ({
        asset_id: e.asset_id,
        substation_id: e.substation_id,
        substation_name: e.substation_name,
        feeder_id: e.feeder_id,
        measurement: e.measurement,
        phase: e.phase,
        unit: e.unit,
        value: e.value,
        ts: e.ts,
        source_line: e.source_line,
      })),
    ).toEqual(expected);
    expect(events[0]).toMatchObject({ value: 37, ts: '2024-01-01T00:00:00.000Z' });
    expect(summary.last_reading_ts).toBe('2024-01-01T04:30:00.000Z');
  });

  const SSEN_HEADER =
    'dataset_id,dno_name,dno_alias,secondary_substation_id,secondary_substation_name,lv_feeder_id,lv_feeder_name,substation_geo_location,aggregated_device_count_active,primary_consumption_active_import,secondary_consumption_active_import,total_consumption_active_import,aggregated_device_count_reactive,total_consumption_reactive_import,data_collection_log_timestamp,insert_time,last_modified_time';

  it('reads SSEN: lower-case header, "" nulls, .000Z times labelled by period end, ids from dataset_id', async () => {
    const text = `${SSEN_HEADER}\n000200200402,Scottish and Southern Electricity Networks,SSEN,004,DUNCRAIG ROAD,02,"","",15.0,2331.0,"",2331.0,15.0,84.0,2024-02-12T00:30:00.000Z,2024-02-14T00:07:06.000Z,2024-03-25T12:46:46.298Z\n`;
    const { events } = await run(text);
    expect(events.map((e) => [e.measurement, e.value])).toEqual([
      ['aggregated_device_count_active', 15],
      ['primary_consumption_active_import', 2331],
      ['total_consumption_active_import', 2331],
      ['aggregated_device_count_reactive', 15],
      ['total_consumption_reactive_import', 84],
    ]);
    // SSEN's first period is labelled 00:30 (its end): the event carries the period's start
    expect(events[0]).toMatchObject({
      ts: '2024-02-12T00:00:00.000Z',
      substation_id: 'SSEN-0002002004',
      feeder_id: '02',
      asset_id: 'SSEN-0002002004:02',
      substation_name: 'DUNCRAIG ROAD',
    });
  });

  it('reads NPg: zone-less .000 times as UTC (whatever zone is configured) and NA nulls', async () => {
    const text = `${SSEN_HEADER}\nNPG_1,Northern Powergrid,NPg,0101,HIGH ST,3,,,NA,120.5,NA,120.5,NA,NA,2024-03-01 00:00:00.000,,\n`;
    const { events } = await run(text, { sourceTimeZone: 'Europe/London' });
    expect(events.map((e) => [e.measurement, e.value, e.ts, e.substation_id])).toEqual([
      ['primary_consumption_active_import', 120.5, '2024-03-01T00:00:00.000Z', 'NPG-0101'],
      ['total_consumption_active_import', 120.5, '2024-03-01T00:00:00.000Z', 'NPG-0101'],
    ]);
  });

  it('reads every timestamp variant to the one canonical form', async () => {
    const times = [
      '2024-01-01 00:30:00+00:00',
      '2024-01-01T00:30:00Z',
      '2024-01-01T00:30:00.000Z',
      '2024-01-01 00:30:00.000',
      '2024-01-01 01:30:00+01:00',
    ];
    const rows = times.map((t) => `X,NGED,NGED,1,S,1,,,5,,,,,,${t},,`);
    const { events } = await run(`${SSEN_HEADER}\n${rows.join('\n')}\n`);
    expect(events.map((e) => e.ts)).toEqual(times.map(() => '2024-01-01T00:30:00.000Z'));
  });

  it('accepts a row whose measures are all missing, with no readings, and rejects a row with one bad measure whole', async () => {
    const text = `${SSEN_HEADER}\nX,NGED,NGED,1,S,1,,,,,,,,,2024-01-01 00:00:00+00:00,,\nX,NGED,NGED,1,S,1,,,37,50000000000,,50000000000,33,830,2024-01-01 00:30:00+00:00,,\nX,NGED,NGED,1,S,1,,,37,12.0,,x,33,830,2024-01-01 01:00:00+00:00,,\n`;
    const { summary, events, entries } = await run(text);
    expect(summary).toMatchObject({
      rows_read: 3,
      rows_accepted: 1,
      rows_without_readings: 1,
      rows_quarantined: 2,
      quarantine_reasons: { out_of_bounds: 1, non_numeric: 1 },
    });
    expect(events).toEqual([]);
    expect(reasonsByLine(entries)).toEqual({ 3: 'out_of_bounds', 4: 'non_numeric' });
  });

  it('takes a header that names a measure twice for no known format, and says which', async () => {
    const text = `${SSEN_HEADER},total_consumption_active_import\nX,NGED,NGED,1,S,1,,,5,,,7,,,2024-01-01 00:00:00+00:00,,,8\n`;
    const { summary, entries, events } = await run(text);
    expect(summary).toMatchObject({ format: 'unknown', rows_quarantined: 1 });
    expect(events).toEqual([]);
    expect(entries[0]).toMatchObject({ reason: 'unknown_format', line: 2 });
    expect(entries[0]?.message).toContain('"total_consumption_active_import" twice');
  });

  it('rejects rows missing what identifies them', async () => {
    const text = `${SSEN_HEADER}\nX,NGED,,1,S,1,,,5,,,,,,2024-01-01 00:00:00+00:00,,\nX,NGED,NGED,,S,1,,,5,,,,,,2024-01-01 00:00:00+00:00,,\nX,NGED,NGED,1,S,,,,5,,,,,,2024-01-01 00:00:00+00:00,,\nX,NGED,NGED,1,S,1,,,5,,,,,,,,\nshort,SSEN,SSEN,1,S,1,,,5,,,,,,2024-01-01 00:00:00Z,,\n`;
    const { entries } = await run(text);
    expect(reasonsByLine(entries)).toEqual({
      2: 'missing_field',
      3: 'missing_field',
      4: 'missing_field',
      5: 'missing_field',
      6: 'invalid_field',
    });
  });

  it('rejects a wide row whose qualified id passes 256 characters, and keeps one at exactly 256', async () => {
    const at256 = 'N'.repeat(256 - 'NGED-'.length);
    const text = `${SSEN_HEADER}\nX,NGED,NGED,${at256}1,S,1,,,5,,,,,,2024-01-01 00:00:00+00:00,,\nX,NGED,NGED,${at256},S,1,,,5,,,,,,2024-01-01 00:00:00+00:00,,\n`;
    const { entries, events } = await run(text);
    expect(reasonsByLine(entries)).toEqual({ 2: 'invalid_field' });
    expect(entries[0]?.message).toContain('partition key');
    expect(events.map((e) => e.substation_id)).toEqual([`NGED-${at256}`]);
  });
});

describe('splitter core: random files', () => {
  it('keeps rows_read = accepted + quarantined and emits only valid events, whatever the rows', async () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const parts = {
      sub: ['LV1', 'LV2', '', ' 007 ', 'Å-ö'],
      ts: ['2025-08-14T15:00:00Z', '2025-08-14 15:00', 'bad', '2025-08-14T15:00:00+01:00', ''],
      attr: ['feeder', 'transformer', 'Feeder', 'x'],
      feeder: ['05', '', '1'],
      desc: ['L1 Current', 'Total Apparent Power', 'L2 Voltage', 'N Power Factor', 'nope'],
      units: ['A', 'kVA', 'V', 'pf', '', 'kVAR'],
      value: ['1', '-2.5', '0', 'NaN', '1e9', 'x', '', '3.14159'],
    };
    for (let file = 0; file < 20; file++) {
      const rows = Array.from({ length: 200 }, () =>
        rnd() < 0.03
          ? 'a,b'
          : [
              pick(parts.sub),
              '"N, q"',
              pick(parts.ts),
              pick(parts.attr),
              pick(parts.feeder),
              pick(parts.desc),
              pick(parts.units),
              pick(parts.value),
            ].join(','),
      );
      const { summary } = await run(lv(...rows), { chunkSize: 1 + Math.floor(rnd() * 300) });
      expect(summary.rows_read).toBe(200);
    }
  });
});
