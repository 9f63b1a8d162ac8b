/**
 * Hostile input at the splitter's edge (issue #18, item 4), property-based with fast-check:
 * random bytes, random CSV, and real headers and rows (the LV monitor sample, the NGED
 * file's head) with random mutations, through the splitter core with counting sinks, cut
 * into random chunks. On every input: no crash, no hang (the test timeout), and what
 * `run` checks for every file — rows_read = rows_accepted + rows_quarantined, the
 * reasons add up to rows_quarantined, one entry per quarantine_entries, every event a
 * valid contract-v1 event, the digest that of the events. The line pre-scan on its own:
 * the same pieces whatever the chunking, the line count kept, memory bounded.
 * Cases: a bounded number in npm test; `npm run soak` raises them (test/soak/scale.ts).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitBody } from '../../src/producers/splitter/core.ts';
import { LineScanner, type ScanPiece } from '../../src/producers/splitter/line-scan.ts';
import { MAX_RECORD_BYTES } from '../../src/producers/splitter/limits.ts';
import { LV_SAMPLE, NGED_HEAD } from '../support/shared-fixtures.ts';
import { scaled } from '../soak/scale.ts';
import { INGESTED_AT, LV_HEADER, SOURCE, run } from './splitter.support.ts';

const RUNS = scaled('fuzz_runs', 60, 3000);
/** Per property; a hang fails the test here rather than never ending. */
const TIMEOUT_MS = scaled('fuzz_timeout_ms', 60_000, 1_800_000);

const LV_LINES = readFileSync(LV_SAMPLE, 'utf8').trimEnd().split(/\r?\n/);
const NGED_LINES = readFileSync(NGED_HEAD, 'utf8').trimEnd().split(/\r?\n/);
const REAL = [LV_LINES, NGED_LINES] as const;

const eol = fc.constantFrom('\n', '\r\n', '\r');
const chunkSize = fc.integer({ min: 1, max: 4096 });

/** A field: plain, or with the characters CSV is about (commas, quotes, line breaks), quoted or not. */
const field = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'LV1', '05', 'feeder', 'L1 Current', 'A', '12.5', '2025-08-14T15:00:00Z', 'NaN', '1e309'),
  fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', '\u00e9', '\uFFFD', '\u0000'), maxLength: 10 }),
);
const csvField = fc.tuple(field, fc.boolean()).map(([f, quote]) => (quote ? `"${f.replace(/"/g, '""')}"` : f));
const csvRow = fc.array(csvField, { minLength: 1, maxLength: 20 }).map((fs) => fs.join(','));

/** A real header or row with one of the mutations people and tools make. */
function mutate(line: string): fc.Arbitrary<string> {
  const cols = line.split(',');
  return fc.oneof(
    fc.constant(line),
    fc.constant(line.toUpperCase()),
    fc.constant(` ${cols.join(' , ')} `),
    fc.nat({ max: cols.length - 1 }).map((i) => cols.filter((_, j) => j !== i).join(',')),
    fc.nat({ max: cols.length - 1 }).map((i) => [...cols.slice(0, i + 1), cols[i], ...cols.slice(i + 1)].join(',')),
    fc.tuple(fc.nat({ max: cols.length - 1 }), fc.nat({ max: cols.length - 1 })).map(([i, j]) => {
      const c = [...cols];
      [c[i], c[j]] = [c[j] as string, c[i] as string];
      return c.join(',');
    }),
    fc
      .tuple(fc.nat({ max: line.length }), fc.constantFrom('"', ',', '\n', '\u0000', 'x', '\uFFFD', '""'))
      .map(([at, s]) => line.slice(0, at) + s + line.slice(at)),
    fc.nat({ max: Math.max(0, line.length - 1) }).map((at) => line.slice(0, at) + line.slice(at + 1)),
    fc.tuple(fc.nat({ max: cols.length - 1 }), field).map(([i, f]) => cols.map((c, j) => (j === i ? f : c)).join(',')),
  );
}

const realFile = fc.constantFrom(...REAL).chain((lines) =>
  fc.tuple(
    mutate(lines[0] as string),
    fc.array(
      fc.constantFrom(...lines.slice(1)).chain((row) => mutate(row)),
      { maxLength: 30 },
    ),
  ),
);

describe('splitter core under random input', () => {
  it(
    'holds the accounting invariant on random bytes',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), chunkSize, fc.boolean(), async (bytes, size, gzip) => {
          await run(Buffer.from(bytes), { chunkSize: size, gzip });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'holds it on random CSV under a real header or a random one',
    async () => {
      const header = fc.oneof(fc.constant(LV_HEADER), fc.constant(NGED_LINES[0] as string), csvRow);
      await fc.assert(
        fc.asyncProperty(header, fc.array(csvRow, { maxLength: 40 }), eol, chunkSize, async (h, rows, e, size) => {
          await run([h, ...rows].join(e), { chunkSize: size });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'holds it on the real headers and rows with random mutations, and accepts every unmutated row',
    async () => {
      await fc.assert(
        fc.asyncProperty(realFile, eol, chunkSize, async ([header, rows], e, size) => {
          const { summary } = await run([header, ...rows].join(e) + e, { chunkSize: size });
          const pristine = REAL.find((lines) => lines[0] === header);
          if (pristine && rows.every((r) => pristine.includes(r))) {
            expect(summary.rows_quarantined).toBe(0);
            expect(summary.rows_accepted).toBe(rows.length);
          }
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'quarantines an over-long line wherever it falls and keeps every good row around it',
    async () => {
      const good = LV_LINES.slice(1);
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: good.length }),
          fc.boolean(),
          eol,
          fc.integer({ min: 1000, max: 200_000 }),
          async (at, quoted, e, size) => {
            const long = `LV1,${quoted ? '"' : ''}${'x'.repeat(MAX_RECORD_BYTES + 10)}${quoted ? '"' : ''},x`;
            const rows = [...good.slice(0, at), long, ...good.slice(at)];
            const { summary, entries } = await run([LV_LINES[0], ...rows].join(e) + e, { chunkSize: size });
            expect(summary).toMatchObject({
              rows_read: good.length + 1,
              rows_accepted: good.length,
              quarantine_reasons: { oversized_record: 1 },
              stopped_early: null,
            });
            expect(entries.map((x) => x.line)).toEqual([at + 2]);
          },
        ),
        { numRuns: Math.max(5, Math.round(RUNS / 10)) },
      );
    },
    TIMEOUT_MS,
  );

  it('splits a 64 MB line with no break in bounded memory, and reads the row after it', async () => {
    const piece = Buffer.alloc(64 * 1024, 'x');
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${LV_HEADER}\nLV1,`);
      for (let i = 0; i < 1024; i++) yield piece; // the same buffer over and over: only a holder would grow
      yield Buffer.from('\nLV1,A,2025-08-14T15:10:00Z,feeder,05,L1 Current,A,2\n');
    }
    const before = process.memoryUsage();
    let peak = 0;
    const sample = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers);
    }, 5);
    const entries: unknown[] = [];
    let events = 0;
    const summary = await splitBody(
      body(),
      { source: SOURCE, ingestedAt: INGESTED_AT },
      { put: (r) => (events += r.count), needsDrain: false, drain: async () => undefined },
      { add: (x) => entries.push(x), needsDrain: false, drain: async () => undefined },
    );
    clearInterval(sample);
    expect(summary).toMatchObject({ rows_read: 2, rows_accepted: 1, rows_quarantined: 1, stopped_early: null });
    expect(events).toBe(1);
    expect(peak).toBeLessThan(24 * 1024 * 1024); // the line is 64 MB: never held
  }, 60_000);
});

describe('the line pre-scan under random input', () => {
  const LIMIT = 40;
  const scan = (bytes: Buffer, size: number, quoting: 'csv' | 'none'): ScanPiece[] => {
    const s = new LineScanner({ maxRecordBytes: LIMIT, headBytes: 16, quoting });
    const out: ScanPiece[] = [];
    for (let i = 0; i < bytes.length; i += size) out.push(...s.write(bytes.subarray(i, i + size)));
    out.push(...s.end());
    return out;
  };
  /** The pieces as one comparable value: the bytes joined, each notice in its place. */
  const flat = (pieces: ScanPiece[]): string =>
    pieces
      .map((p) =>
        'bytes' in p
          ? p.bytes.toString('latin1')
          : `<${JSON.stringify({ ...p.oversized, head: p.oversized.head.toString('latin1') })}>`,
      )
      .join('');
  const lineBreaks = (s: string): number => (s.match(/\r\n|\r|\n/g) ?? []).length;
  const text = fc.string({
    unit: fc.constantFrom('a', ',', '"', '\n', '\r', '\r\n', 'é', 'bbbbbbbbbbbbbbbb'),
    maxLength: 120,
  });

  it('gives the same pieces whatever the chunking, keeps every line, and holds nothing over the limit', () => {
    fc.assert(
      fc.property(text, chunkSize, fc.constantFrom('csv' as const, 'none' as const), (t, size, quoting) => {
        const bytes = Buffer.from(t);
        const whole = scan(bytes, bytes.length || 1, quoting);
        expect(flat(scan(bytes, size, quoting))).toBe(flat(whole));
        const notices = whole.flatMap((p) => ('oversized' in p ? [p.oversized] : []));
        const passed = Buffer.concat(whole.flatMap((p) => ('bytes' in p ? [p.bytes] : []))).toString('latin1');
        if (notices.length === 0) expect(passed).toBe(bytes.toString('latin1'));
        if (
          !notices.some((n) => n.unclosedQuote || n.line + n.lines - 1 === lineBreaks(bytes.toString('latin1')) + 1)
        ) {
          expect(lineBreaks(passed)).toBe(lineBreaks(bytes.toString('latin1')));
        }
        for (const n of notices) {
          expect(n.bytes).toBeGreaterThan(LIMIT);
          expect(n.head.length).toBeLessThanOrEqual(16);
        }
      }),
      { numRuns: RUNS * 10 },
    );
  });
});
