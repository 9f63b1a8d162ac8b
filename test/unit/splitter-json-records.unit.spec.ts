import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JsonDocumentReader,
  NdjsonRecordReader,
  recordsOf,
  type JsonItem,
  type JsonRecord,
  type JsonReject,
} from '../../src/producers/splitter/json-records.ts';
import type { RecordReader } from '../../src/producers/splitter/records.ts';

/** Feeds `bytes` to a fresh reader in chunks of `size` (every boundary, when size is 1). */
async function read(reader: RecordReader<JsonItem>, bytes: Buffer, size = bytes.length): Promise<Item[]> {
  const out: JsonItem[] = [];
  for (let i = 0; i < bytes.length; i += Math.max(1, size)) out.push(...reader.write(bytes.subarray(i, i + size)));
  out.push(...(await reader.end()));
  // a JSON array's batches (json-batch.ts) spread into their records
  return recordsOf(out);
}

type Item = JsonRecord | JsonReject;
const values = (items: Item[]): unknown[] => items.map((i) => ('value' in i ? i.value : i.reject));
const lines = (items: Item[]): number[] => items.map((i) => i.line);

/** Brackets, braces, quotes and backslashes inside strings, and characters of 2, 3 and 4 UTF-8 bytes. */
const TRICKY = [
  { id: 'a', text: 'braces } ] { [ inside', n: 1 },
  { id: 'b', text: 'quote " and \\" and \\\\', n: -2.5e3 },
  { id: 'c', text: 'é ☃ 𝄞 end\\', nested: { list: [1, [2, { deep: '}' }]], yes: true, no: null } },
  { id: 'd', text: '', n: 0 },
];

describe('NDJSON reader', () => {
  it('reads one object per line, numbering lines as an editor does (blank lines count, CRLF is one break)', async () => {
    const text = '\uFEFF{"a":1}\r\n\n  \r\n{"a":2}\n{"a":3}';
    const items = await read(new NdjsonRecordReader(), Buffer.from(text));
    expect(values(items)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(lines(items)).toEqual([1, 4, 5]);
    expect((items[0] as JsonRecord).raw).toBe('{"a":1}');
  });

  it('gives the same records whatever the chunk boundaries, characters split across chunks included', async () => {
    const bytes = Buffer.from(TRICKY.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const whole = await read(new NdjsonRecordReader(), bytes);
    expect(values(whole)).toEqual(TRICKY);
    for (const size of [1, 2, 3, 5, 7, 13]) expect(await read(new NdjsonRecordReader(), bytes, size)).toEqual(whole);
  });

  it('quarantines a line that is not JSON, or not an object, and reads on', async () => {
    const items = await read(new NdjsonRecordReader(), Buffer.from('{"a":1}\n{"a":\n[1,2]\n42\n{"a":2}\n'));
    expect(values(items)).toEqual([{ a: 1 }, 'invalid_json', 'invalid_json', 'invalid_json', { a: 2 }]);
    expect(lines(items)).toEqual([1, 2, 3, 4, 5]);
    expect(items[1]).toMatchObject({ raw: '{"a":', message: expect.stringMatching(/^line 2 is not valid JSON: /) });
    expect(items[2]).toMatchObject({ message: 'line 3 holds an array, not a JSON object' });
    expect(items[3]).toMatchObject({ message: 'line 4 holds a number, not a JSON object' });
  });

  it('quarantines a line over the limit with its line number and first 64 KiB, holding none of the rest, and reads on', async () => {
    const long = `{"x":"${'y'.repeat(200_000)}"}`;
    const bytes = Buffer.from(`{"a":1}\n${long}\n{"a":2}\n`);
    for (const size of [bytes.length, 4096, 999]) {
      const items = await read(new NdjsonRecordReader(100_000), bytes, size);
      expect(values(items)).toEqual([{ a: 1 }, 'oversized_record', { a: 2 }]);
      expect(lines(items)).toEqual([1, 2, 3]);
      const over = items[1] as { raw: string; message: string };
      expect(over.raw).toBe(long.slice(0, 64 * 1024));
      expect(over.message).toBe(
        `line 2 has ${long.length} bytes, more than the 100000 a record may have; it was skipped and the records after it were read`,
      );
    }
  });

  it('reads a last line without a line break, and an empty body as no records', async () => {
    expect(values(await read(new NdjsonRecordReader(), Buffer.from('{"a":1}\n{"b":2}')))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(await read(new NdjsonRecordReader(), Buffer.alloc(0))).toEqual([]);
  });
});

describe('JSON document reader', () => {
  it('reads the records of a document that is an array, element by element, with the line each starts on', async () => {
    const bytes = Buffer.from(JSON.stringify(TRICKY, null, 2));
    const reader = new JsonDocumentReader();
    const items = await read(reader, bytes);
    expect(values(items)).toEqual(TRICKY);
    expect(lines(items)).toEqual([2, 7, 12, 29]);
    expect(reader.recordsPath).toEqual([]);
    expect(reader.stopped).toBeUndefined();
  });

  it('finds records at a path, giving the metadata met before them, nested as in the document', async () => {
    const doc = {
      site: { id: 'S1', tz: 'UTC' },
      meta: { version: 2, tags: ['x', ']'] },
      data: { unit: 'kWh', readings: [{ v: 1 }, { v: 2 }], after: 'late' },
      trailer: 'end',
    };
    const reader = new JsonDocumentReader({ recordsPaths: [['values'], ['data', 'readings']] });
    const items = await read(reader, Buffer.from(JSON.stringify(doc)), 3);
    expect(values(items)).toEqual([{ v: 1 }, { v: 2 }]);
    expect(reader.recordsPath).toEqual(['data', 'readings']);
    // read before the records; members after them come in as well (too late for the records)
    expect(reader.metadata).toEqual({
      site: { id: 'S1', tz: 'UTC' },
      meta: { version: 2, tags: ['x', ']'] },
      data: { unit: 'kWh', after: 'late' },
      trailer: 'end',
    });
  });

  it('gives the same records whatever the chunk boundaries (strings with brackets, quotes, escapes, split characters)', async () => {
    const bytes = Buffer.from(JSON.stringify({ head: 'x"]}', values: TRICKY }, null, 1));
    const whole = await read(new JsonDocumentReader({ recordsPaths: [['values']] }), bytes);
    expect(values(whole)).toEqual(TRICKY);
    for (const size of [1, 2, 3, 4, 5, 11]) {
      expect(await read(new JsonDocumentReader({ recordsPaths: [['values']] }), bytes, size)).toEqual(whole);
    }
  });

  it('finds every record of random documents cut into random chunks', async () => {
    const record = fc.dictionary(
      fc.string({ unit: 'binary' }),
      fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string()),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 8 }),
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        async (recs, size, pretty) => {
          const text = JSON.stringify({ meta: 'm', records: recs }, null, pretty ? 2 : undefined);
          const items = await read(new JsonDocumentReader({ recordsPaths: [['records']] }), Buffer.from(text), size);
          expect(values(items)).toEqual(JSON.parse(JSON.stringify(recs)));
          const ndjson = Buffer.from(recs.map((r) => JSON.stringify(r)).join('\n'));
          expect(values(await read(new NdjsonRecordReader(), ndjson, size))).toEqual(JSON.parse(JSON.stringify(recs)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('quarantines an element that is not JSON or not an object, and reads the next one', async () => {
    const text = '[{"a":1},\n{"a": tru},\n"text",\n{"a":[1}],\n{"a":2}]';
    const items = await read(new JsonDocumentReader(), Buffer.from(text));
    expect(values(items)).toEqual([{ a: 1 }, 'invalid_json', 'invalid_json', 'invalid_json', { a: 2 }]);
    expect(lines(items)).toEqual([1, 2, 3, 4, 5]);
    expect(items[1]).toMatchObject({
      raw: '{"a": tru}',
      message: expect.stringMatching(/^element 2 of the top level is not valid JSON/),
    });
    expect(items[2]).toMatchObject({ message: 'element 3 of the top level holds a string, not a JSON object' });
  });

  it('skips an element over the limit, keeping its first 64 KiB, and reads on', async () => {
    const big = { s: 'z'.repeat(300_000), nested: ['}'] };
    const bytes = Buffer.from(JSON.stringify([{ a: 1 }, big, { a: 2 }]));
    const items = await read(new JsonDocumentReader({ limit: 100_000 }), bytes, 8192);
    expect(values(items)).toEqual([{ a: 1 }, 'oversized_record', { a: 2 }]);
    expect((items[1] as { raw: string }).raw).toBe(JSON.stringify(big).slice(0, 64 * 1024));
  });

  it('stops on a document cut short, keeping the records before it and saying so', async () => {
    const reader = new JsonDocumentReader({ recordsPaths: [['r']] });
    const items = await read(reader, Buffer.from('{"r": [{"a":1}, {"a":2}, {"a":'));
    expect(values(items)).toEqual([{ a: 1 }, { a: 2 }, 'invalid_json']);
    expect(items[2]).toMatchObject({ message: 'element 3 is cut off: the document ends inside it', raw: '{"a":' });
    expect(reader.stopped).toMatchObject({ reason: 'invalid_json', line: null });
    expect(reader.stopped?.message).toMatch(/ends before its closing brace/);
  });

  it('stops when the frame is not JSON, and when the records are not where the mapping says', async () => {
    const broken = new JsonDocumentReader({ recordsPaths: [['r']] });
    await read(broken, Buffer.from('{"meta" 1, "r": []}'));
    expect(broken.stopped).toMatchObject({ reason: 'invalid_json', line: 1 });
    expect(broken.stopped?.message).toBe(
      'the document is not valid JSON at line 1: expected ":", found "1, \\"r\\": []}"',
    );

    const elsewhere = new JsonDocumentReader({ recordsPaths: [['r']] });
    expect(await read(elsewhere, Buffer.from('{"s": [{"a":1}]}'))).toEqual([]);
    expect(elsewhere.stopped).toMatchObject({ reason: 'unknown_format', line: null });
    expect(elsewhere.stopped?.message).toBe('the document has no array of records at "r"');
    expect(elsewhere.metadata).toEqual({ s: [{ a: 1 }] });
  });
});
