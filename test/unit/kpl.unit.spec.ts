import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type AggregatedRecord, deaggregate, KeyedAggregator } from '../../src/shared/kpl.js';

/** aws-kinesis-agg's own aggregator: the reference DubeGrid's encoder must match byte for byte. */
interface LibAggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  calculateUserRecordSize(record: { partitionKey: string; data: Buffer }): number;
  build(): { partitionKey: string; data: Buffer } | undefined;
  totalBytes: number;
}
const lib = createRequire(import.meta.url)('aws-kinesis-agg') as { RecordAggregator: new () => LibAggregator };

/** The library-backed keyed aggregator DubeGrid used before its own encoder (same split rule). */
function reference(records: readonly { key: string; data: Buffer }[], maxBytes: number): AggregatedRecord[] {
  const open = new Map<string, { agg: LibAggregator; count: number }>();
  const out: AggregatedRecord[] = [];
  const build = (s: { agg: LibAggregator; count: number }): AggregatedRecord => {
    const e = s.agg.build();
    if (!e) throw new Error('library built nothing');
    return { partitionKey: e.partitionKey, data: e.data, count: s.count };
  };
  for (const { key, data } of records) {
    const record = { partitionKey: key, data };
    let slot = open.get(key);
    if (slot && slot.agg.totalBytes + slot.agg.calculateUserRecordSize(record) > maxBytes) {
      out.push(build(slot));
      slot = undefined;
    }
    if (!slot) {
      slot = { agg: new lib.RecordAggregator(), count: 0 };
      open.set(key, slot);
    }
    slot.agg.addUserRecord(record);
    slot.count++;
  }
  for (const s of open.values()) out.push(build(s));
  return out;
}

/** Deterministic records: sizes across varint boundaries (127/128, 16383/16384), ASCII and non-ASCII, several keys. */
function sample(): { key: string; data: Buffer; text: string }[] {
  const sizes = [1, 60, 126, 127, 128, 129, 300, 16_370, 16_383, 16_384, 16_400, 40_000, 90];
  const keys = ['SUB-0001', 'sub-ß-02', 'K'.repeat(200)];
  const out: { key: string; data: Buffer; text: string }[] = [];
  let n = 0;
  for (let round = 0; round < 6; round++) {
    for (const size of sizes) {
      const key = keys[n % keys.length] ?? 'SUB-0001';
      const text =
        n % 4 === 3 ? `{"v":"${'é'.repeat(Math.max(1, size >> 1))}"}` : `{"n":${n},"p":"${'x'.repeat(size)}"}`;
      out.push({ key, text, data: Buffer.from(text, 'utf8') });
      n++;
    }
  }
  return out;
}

function collectAdd(records: ReturnType<typeof sample>, maxBytes: number): AggregatedRecord[] {
  const agg = new KeyedAggregator(maxBytes);
  const out: AggregatedRecord[] = [];
  for (const r of records) out.push(...agg.add(r.key, r.data));
  return [...out, ...agg.flush()];
}

function collectText(records: ReturnType<typeof sample>, maxBytes: number): AggregatedRecord[] {
  const agg = new KeyedAggregator(maxBytes);
  const out: AggregatedRecord[] = [];
  for (const r of records) {
    const full = agg.addText(r.key, r.text, r.data.length);
    if (full) out.push(full);
  }
  return [...out, ...agg.flush()];
}

/** Order within one key is what matters (records of one key never share an aggregate with another). */
function byKey(records: readonly AggregatedRecord[]): Map<string, { hex: string; count: number }[]> {
  const m = new Map<string, { hex: string; count: number }[]>();
  for (const r of records) {
    const list = m.get(r.partitionKey) ?? [];
    list.push({ hex: r.data.toString('hex'), count: r.count });
    m.set(r.partitionKey, list);
  }
  return m;
}

describe('KeyedAggregator (DubeGrid KPL encoder)', () => {
  for (const maxBytes of [1024, 20_000, 100_000, 1024 * 1024 - 1024]) {
    it(`builds the same bytes as aws-kinesis-agg at maxBytes=${maxBytes}, through add and addText`, () => {
      const records = sample();
      const expected = byKey(reference(records, maxBytes));
      expect(byKey(collectAdd(records, maxBytes))).toEqual(expected);
      expect(byKey(collectText(records, maxBytes))).toEqual(expected);
    });
  }

  it('round-trips through deaggregate in order, with every record accounted for', () => {
    const records = sample();
    const built = collectText(records, 50_000);
    expect(built.reduce((n, r) => n + r.count, 0)).toBe(records.length);
    const decoded = built.flatMap((r) =>
      deaggregate({ data: r.data, partitionKey: r.partitionKey, sequenceNumber: '1' }),
    );
    for (const key of new Set(records.map((r) => r.key))) {
      const sent = records.filter((r) => r.key === key).map((r) => r.text);
      const got = decoded.filter((u) => u.partitionKey === key).map((u) => u.data.toString('utf8'));
      expect(got).toEqual(sent);
    }
  });

  it('reports held bytes and pending records, and nothing after a flush', () => {
    const agg = new KeyedAggregator();
    agg.addText('a', '{"x":1}', 7);
    agg.add('b', Buffer.from('{"y":2}'));
    expect(agg.pending).toBe(2);
    expect(agg.heldBytes).toBeGreaterThan(14);
    expect(agg.flush()).toHaveLength(2);
    expect(agg.pending).toBe(0);
    expect(agg.heldBytes).toBe(0);
  });

  it('reuses its buffer without leaking an earlier aggregate into the next', () => {
    const agg = new KeyedAggregator(1024);
    const first = agg.addText('k', 'a'.repeat(600), 600);
    expect(first).toBeUndefined();
    const full = agg.addText('k', 'b'.repeat(600), 600);
    expect(full?.count).toBe(1);
    const rest = agg.flush();
    const decoded = [full, ...rest].flatMap((r) =>
      r ? deaggregate({ data: r.data, partitionKey: 'k', sequenceNumber: '1' }) : [],
    );
    expect(decoded.map((u) => u.data.toString())).toEqual(['a'.repeat(600), 'b'.repeat(600)]);
  });

  it('builds the same records, in the same order, when flushed aggregates are reused for other keys', () => {
    // each round is a split between flushes: its keys (shorter and longer than the last round's) take the
    // emptied aggregates of earlier rounds; the oracle builds every round with a fresh aggregator
    const records = sample();
    const reused = new KeyedAggregator(20_000);
    for (let round = 0; round < 5; round++) {
      const batch = records.map((r, i) => ({ ...r, key: `${r.key.slice(0, 3 + ((i + round * 7) % 40))}-${round}` }));
      const got: AggregatedRecord[] = [];
      for (const r of batch) {
        const full = reused.addText(r.key, r.text, r.data.length);
        if (full) got.push(full);
      }
      got.push(...reused.flush());
      const want = collectText(batch, 20_000);
      expect(got.map((r) => [r.partitionKey, r.count, r.data.toString('hex')])).toEqual(
        want.map((r) => [r.partitionKey, r.count, r.data.toString('hex')]),
      );
    }
  });

  it('refuses a cap outside 1 KiB..1 MiB', () => {
    expect(() => new KeyedAggregator(100)).toThrow(RangeError);
    expect(() => new KeyedAggregator(2 * 1024 * 1024)).toThrow(RangeError);
  });
});
