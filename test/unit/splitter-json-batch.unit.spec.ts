import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrayBatch, readArrayBatch } from '../../src/producers/splitter/json-batch.ts';
import { compileMapping } from '../../src/producers/splitter/mapping/compile.ts';
import { builtinMappingSet, MappingSet } from '../../src/producers/splitter/mapping/set.ts';
import { parseMapping } from '../../src/shared/sources/load.ts';
import { run } from './splitter.support.ts';
import {
  JsonDocumentReader,
  recordsOf,
  type JsonItem,
  type JsonRecord,
  type JsonReject,
} from '../../src/producers/splitter/json-records.ts';

type Item = JsonRecord | JsonReject;

/** Feeds `bytes` to a fresh document reader in chunks of `size`; size 1 leaves the fast path no batch to read. */
async function read(bytes: Buffer, size = bytes.length, recordsPaths?: string[][]): Promise<Item[]> {
  const reader = new JsonDocumentReader({ recordsPaths });
  const out: JsonItem[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...reader.write(bytes.subarray(i, i + size)));
  out.push(...(await reader.end()));
  expect(reader.stopped).toBeUndefined();
  // batches spread into their records, each with its text and line
  return recordsOf(out);
}

/** The exact scanner's reading: one byte at a time, so no `}`, `,` and `{` are ever in one chunk. */
const exact = (bytes: Buffer, recordsPaths?: string[][]): Promise<Item[]> => read(bytes, 1, recordsPaths);

describe('JSON-array fast path (many records per JSON.parse)', () => {
  it('reads whole records with their own texts and the lines they start on, nested objects included', () => {
    const text = '[\n{"a": 1, "o": {"p": {"q": 2}}},\n  {"a": "é☃𝄞"},\n{\n"a": 3\n},\n{"a": 4}\n]';
    const bytes = Buffer.from(text);
    const batch = readArrayBatch(bytes, 2, 1 << 20, 2);
    if (typeof batch === 'string') throw new Error(`no batch: ${batch}`);
    // up to the last record that a comma and a record follow; the last one is the scanner's
    expect(batch.records.map((r) => [r.raw, r.line])).toEqual([
      ['{"a": 1, "o": {"p": {"q": 2}}}', 2],
      ['{"a": "é☃𝄞"}', 3],
      ['{\n"a": 3\n}', 4],
    ]);
    expect(batch.records.map((r) => r.value)).toEqual([{ a: 1, o: { p: { q: 2 } } }, { a: 'é☃𝄞' }, { a: 3 }]);
    expect(bytes.subarray(batch.end - 1, batch.end).toString()).toBe('}');
    expect(batch.lineFeeds).toBe(4);
  });

  it('declines a batch whose separators are not all boundaries: a string or a nested array holding "},{"', async () => {
    const inString = Buffer.from('[{"s": "x},{y"}, {"a": 1}, {"a": 2}]');
    const inArray = Buffer.from('[{"l": [{"x": 1}, {"y": 2}]}, {"a": 1}, {"a": 2}]');
    expect(readArrayBatch(inString, 1, 1 << 20, 1)).toBe('ambiguous');
    expect(readArrayBatch(inArray, 1, 1 << 20, 1)).toBe('ambiguous');
    // the exact scanner reads them
    expect((await read(inString)).map((i) => i.raw)).toEqual(['{"s": "x},{y"}', '{"a": 1}', '{"a": 2}']);
    expect((await read(inArray)).map((i) => i.raw)).toEqual(['{"l": [{"x": 1}, {"y": 2}]}', '{"a": 1}', '{"a": 2}']);
  });

  it('quarantines a bad record in the middle of a batch with its own text and line, keeping its neighbours', async () => {
    const good = (i: number): string => `{"id": ${i}, "v": {"x": ${i}}}`;
    const recs = Array.from({ length: 40 }, (_, i) => (i === 17 ? '{"id": 17, "v": tru}' : good(i)));
    const bytes = Buffer.from(`[\n${recs.join(',\n')}\n]`);
    expect(readArrayBatch(bytes, 2, 1 << 20, 2)).toBe('invalid');
    const items = await read(bytes);
    expect(items).toHaveLength(40);
    expect(items[17]).toMatchObject({
      reject: 'invalid_json',
      raw: '{"id": 17, "v": tru}',
      line: 19,
      message: expect.stringMatching(/^element 18 of the top level is not valid JSON/),
    });
    expect(items.filter((i) => 'value' in i)).toHaveLength(39);
    expect(items[18]).toEqual({ value: { id: 18, v: { x: 18 } }, raw: good(18), line: 20 });
    expect(items).toEqual(await exact(bytes));
  });

  it('declines values that are not objects, which the scanner quarantines one by one', async () => {
    const bytes = Buffer.from('[{"a":1},[{"b":2},{"c":3}],{"d":4},{"e":5}]');
    expect(readArrayBatch(bytes, 1, 1 << 20, 1)).toBe('invalid');
    expect((await read(bytes)).map((i) => ('reject' in i ? i.reject : i.raw))).toEqual([
      '{"a":1}',
      'invalid_json',
      '{"d":4}',
      '{"e":5}',
    ]);
  });

  it('reads records spanning chunk boundaries, and metadata after the array, as the exact scanner does', async () => {
    const recs = Array.from({ length: 300 }, (_, i) => ({ i, site: `s-${i % 7}`, v: { kwh: i * 1.5 }, t: 'x' }));
    const doc = { head: { id: 'H' }, records: recs, after: { late: true } };
    const bytes = Buffer.from(JSON.stringify(doc, null, 2));
    const paths = [['records']];
    const want = await exact(bytes, paths);
    expect(want).toHaveLength(300);
    for (const size of [bytes.length, 4096, 1000, 333]) expect(await read(bytes, size, paths)).toEqual(want);
    const reader = new JsonDocumentReader({ recordsPaths: paths });
    reader.write(bytes);
    await reader.end();
    expect(reader.metadata).toEqual({ head: { id: 'H' }, after: { late: true } });
  });

  it('gives the exact scanner’s records, texts and lines for random documents in random chunks', async () => {
    const scalar = fc.oneof(
      fc.constantFrom('},{', '} , {', '"},{"', '\\', 'é☃𝄞', ''),
      fc.string({ unit: 'binary' }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        scalar,
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 3 }),
      ),
    }));
    const element = fc.oneof(
      { weight: 8, arbitrary: fc.dictionary(fc.string({ unit: 'binary' }), value, { maxKeys: 4 }) },
      { weight: 1, arbitrary: value },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(element, { maxLength: 30 }),
        fc.integer({ min: 16, max: 600 }),
        fc.constantFrom(undefined, 1, 4),
        async (recs, size, indent) => {
          const bytes = Buffer.from(JSON.stringify({ m: 1, records: recs, z: 2 }, null, indent));
          const paths = [['records']];
          expect(await read(bytes, size, paths)).toEqual(await exact(bytes, paths));
          expect(await read(bytes, bytes.length, paths)).toEqual(await exact(bytes, paths));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('JSON-array batches through the core: a record’s text sliced only when it is quarantined', () => {
  const energy = (i: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
    site_id: `site-${i % 5}`,
    timestamp: `2025-02-01T00:${String(i % 60).padStart(2, '0')}:00`,
    energy_generated_kwh: i * 0.5,
    energy_consumed_kwh: 1 + i,
    ...over,
  });
  /** Records the mapping rejects, each valid JSON (so inside a batch), among good ones. */
  const doc = (): Buffer => {
    const recs = Array.from({ length: 80 }, (_, i) =>
      i === 3
        ? energy(i, { site_id: null })
        : i === 17
          ? energy(i, { energy_consumed_kwh: 'lots' })
          : i === 40
            ? energy(i, { timestamp: '2025-13-01T00:00:00' })
            : i === 79
              ? energy(i, { energy_generated_kwh: 1e300 })
              : energy(i),
    );
    return Buffer.from(JSON.stringify(recs, null, 4));
  };

  it('gives the exact scanner’s summary, events and entries (texts, lines, reasons), whatever the chunks', async () => {
    const bytes = doc();
    // the records are one batch when the document is one chunk
    expect(readArrayBatch(bytes, bytes.indexOf('{'), 1 << 20, 2)).toBeInstanceOf(ArrayBatch);
    const options = { shape: 'json' as const, mappings: builtinMappingSet() };
    const exact = await run(bytes, { ...options, chunkSize: 1 });
    expect(exact.entries.map((e) => e.reason)).toEqual([
      'missing_field',
      'non_numeric',
      'bad_timestamp',
      'out_of_bounds',
    ]);
    expect(exact.entries[1]?.raw).toBe(
      JSON.stringify(energy(17, { energy_consumed_kwh: 'lots' }), null, 4).replace(/\n/g, '\n    '),
    );
    expect(exact.summary).toMatchObject({ rows_read: 80, rows_accepted: 76, rows_quarantined: 4 });
    for (const chunkSize of [bytes.length, 4096, 1000, 333]) {
      const fast = await run(bytes, { ...options, chunkSize });
      expect(fast.entries).toEqual(exact.entries);
      expect(fast.events).toEqual(exact.events);
      expect(fast.summary).toEqual(exact.summary);
    }
  });

  it('quarantines a rejected reading (reject: reading) with its record’s own text', async () => {
    const mapping = compileMapping(
      parseMapping(
        `
name: energy_by_reading
recognise: { json: { paths: [site_id, energy_generated_kwh] } }
shape: { kind: json, records: $ }
reject: reading
timestamp: { from: timestamp }
site:
  substation_id: { path: site_id, required: true }
readings:
  - { from: energy_generated_kwh, measurement: energy_generated, unit: Wh, scale: 1000 }
  - { from: energy_consumed_kwh, measurement: energy_consumed, unit: Wh, scale: 1000 }
`,
        'test',
      ),
    );
    const bytes = doc();
    const options = { shape: 'json' as const, mappings: new MappingSet([mapping], mapping.units) };
    const whole = await run(bytes, options);
    expect(whole.summary).toMatchObject({ rows_read: 80, readings_quarantined: 2 });
    const bad = whole.entries.filter((e) => e.reason === 'non_numeric' || e.reason === 'out_of_bounds');
    expect(bad.map((e) => e.raw)).toEqual([
      JSON.stringify(energy(17, { energy_consumed_kwh: 'lots' }), null, 4).replace(/\n/g, '\n    '),
      JSON.stringify(energy(79, { energy_generated_kwh: 1e300 }), null, 4).replace(/\n/g, '\n    '),
    ]);
    const exact = await run(bytes, { ...options, chunkSize: 1 });
    expect(whole.entries).toEqual(exact.entries);
    expect(whole.events).toEqual(exact.events);
  });
});
