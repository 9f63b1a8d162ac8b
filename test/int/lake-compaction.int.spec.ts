/**
 * Lake compaction against the real embedded stack (s3rver, dynalite) through the real
 * SDK clients: a day partition of several Firehose-style objects holding re-deliveries
 * and corrections is rewritten; a crash injected before each step leaves a lake whose
 * `readings` view (read as `dubegrid query` reads it) shows every reading exactly once,
 * and the next run completes; a late reading lands and is merged; a lease keeps a
 * second run out.
 */
import { DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPACTION_STEPS,
  compactLake,
  compactPartition,
  type CompactionDeps,
  type CompactionStep,
} from '../../src/lake/compaction/compact.ts';
import { DynamoLeaseStore } from '../../src/lake/compaction/lease.ts';
import { listPartitionObjects, partitionOfDay } from '../../src/lake/compaction/objects.ts';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { openSqlEngine } from '../../src/ops/query/open.ts';
import { compareEmission, type ReadingEvent } from '../../src/shared/event.ts';
import { partitionOf, partitionPrefix } from '../../src/shared/glue.ts';
import { useBareStack } from '../support/bare-stack.ts';
import { reading } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const stack = useBareStack();
let writer: DuckDbParquetWriter;
let work: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  writer = await DuckDbParquetWriter.open();
  work = await tempDir('dubegrid-compaction-');
});
afterAll(async () => {
  await writer.close();
  await work.cleanup();
});

const MEASUREMENTS = ['total_active_power', 'total_reactive_power', 'l1_current', 'l1_voltage'];

/** One day of 10-minute readings of `assets` feeders, in arrival (time) order. */
function dayOfReadings(day: string, assets: number): ReadingEvent[] {
  const out: ReadingEvent[] = [];
  for (let k = 0; k < 144; k++) {
    const ts = new Date(Date.parse(`${day}T00:00:00Z`) + k * 600_000).toISOString();
    for (let a = 0; a < assets; a++)
      for (const [j, measurement] of MEASUREMENTS.entries())
        out.push(
          reading({
            substation: `LV${1000 + a}`,
            feeder: '01',
            measurement,
            ts,
            value: k + a / 100 + j,
            line: out.length + 2,
          }),
        );
  }
  return out;
}

/**
 * Puts `day` as Firehose would have delivered it: `objects` objects in arrival order,
 * the last one a re-delivery of the first's rows plus a correction of some of them.
 * Returns what the view must show: the winner of every event id.
 */
async function deliverDay(day: string, objects = 4): Promise<Map<string, ReadingEvent>> {
  const { s3, names } = stack().clients;
  const rows = dayOfReadings(day, 10);
  const per = Math.ceil(rows.length / objects);
  const parts = Array.from({ length: objects }, (_, i) => rows.slice(i * per, (i + 1) * per));
  const corrected = (parts[0] as ReadingEvent[])
    .slice(0, 50)
    .map((e) => ({ ...e, value: e.value + 1000, ingested_at: '2025-09-02T00:00:00.000Z', source_key: 'raw/fix.csv' }));
  parts.push([...(parts[0] as ReadingEvent[]).slice(50, 200), ...corrected]);
  for (const [i, part] of parts.entries())
    await put(`${partitionPrefix(partitionOf(day))}dubegrid-lake-1-${day}-${i}.parquet`, part);
  return winners([...rows, ...corrected]);
  void s3;
  void names;
}

async function put(key: string, rows: readonly ReadingEvent[]): Promise<void> {
  const { s3, names } = stack().clients;
  await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: await writer.write(rows) }));
}

function winners(rows: readonly ReadingEvent[]): Map<string, ReadingEvent> {
  const out = new Map<string, ReadingEvent>();
  for (const e of rows) {
    const held = out.get(e.event_id);
    if (!held || compareEmission(e, held) > 0) out.set(e.event_id, e);
  }
  return out;
}

/** The `readings` view of one day as `dubegrid query` reads it (mirror, then DuckDB), per event id. */
async function viewOf(day: string): Promise<{ rows: number; byId: Map<string, number> }> {
  const { engine } = await openSqlEngine(stack().clients, join(work.dir, 'cache'));
  try {
    const p = partitionOfDay(day);
    const res = await engine.run('SELECT event_id, value FROM readings WHERE y = ? AND m = ? AND d = ?', [
      p.y,
      p.m,
      p.d,
    ]);
    return { rows: res.rows.length, byId: new Map(res.rows.map(([id, v]) => [String(id), Number(v)])) };
  } finally {
    await engine.close();
  }
}

async function expectEveryRowOnce(day: string, expected: Map<string, ReadingEvent>): Promise<void> {
  const seen = await viewOf(day);
  expect(seen.rows).toBe(expected.size);
  expect(seen.byId.size).toBe(expected.size);
  for (const [id, e] of expected) expect(seen.byId.get(id), id).toBe(e.value);
}

function deps(extra: Partial<CompactionDeps> = {}): CompactionDeps {
  const { s3, names, doc } = stack().clients;
  return {
    s3,
    bucket: names.bucket,
    leases: new DynamoLeaseStore(doc),
    workDir: work.dir,
    threads: 1,
    // small enough that a test day makes several output files and several delete calls
    rowGroupRows: 2048,
    targetFileBytes: 1,
    deleteBatch: 2,
    ...extra,
  };
}

async function objectsOf(day: string) {
  const { s3, names } = stack().clients;
  return listPartitionObjects(s3, names.bucket, partitionOfDay(day));
}

class Killed extends Error {}

describe('a compaction of one day partition', () => {
  it('rewrites it into few sorted objects holding exactly the view, then leaves it alone', async () => {
    const day = '2025-07-01';
    const expected = await deliverDay(day);
    expect((await objectsOf(day)).length).toBe(5);
    const r = await compactPartition(
      deps({ targetFileBytes: undefined, rowGroupRows: undefined }),
      partitionOfDay(day),
    );
    expect(r.status).toBe('compacted');
    expect(r.inputs).toBe(5);
    expect(r.rows_out).toBe(expected.size);
    expect(r.rows_in).toBeGreaterThan(expected.size);
    const after = await objectsOf(day);
    expect(after.map((o) => o.key)).toEqual(r.output_keys);
    expect(after.length).toBe(1);
    await expectEveryRowOnce(day, expected);
    expect((await compactPartition(deps(), partitionOfDay(day))).status).toBe('already-compacted');
  });

  const kills: [CompactionStep, number][] = [
    ...COMPACTION_STEPS.map((s) => [s, 0] as [CompactionStep, number]),
    ['upload', 1],
    ['delete', 1],
  ];
  it.each(kills)('killed before %s #%i: readers see every row once, and the next run completes', async (step, n) => {
    const day = `2025-07-${String(10 + kills.findIndex(([s, k]) => s === step && k === n)).padStart(2, '0')}`;
    const expected = await deliverDay(day);
    const killed = await compactPartition(
      deps({
        beforeStep: (s, _p, k) => {
          if (s === step && k === n) throw new Killed(`killed before ${s} #${k}`);
        },
      }),
      partitionOfDay(day),
    );
    expect(killed.status).toBe('failed');
    expect(killed.error).toBe(`killed before ${step} #${n}`);
    await expectEveryRowOnce(day, expected);

    const next = await compactPartition(deps(), partitionOfDay(day));
    // killed before the release, the work was done: only the lease was left, and it was released on the way out
    expect(next.status).toBe(step === 'release' ? 'already-compacted' : 'compacted');
    await expectEveryRowOnce(day, expected);
    const left = await objectsOf(day);
    if (step !== 'release') {
      expect(left.map((o) => o.key).sort()).toEqual([...next.output_keys].sort());
      expect(next.outputs).toBeGreaterThan(1); // several outputs, so the kills above hit between them
    }
    expect(await compactPartition(deps(), partitionOfDay(day))).toMatchObject({ status: 'already-compacted' });
  });

  it('deletes only the inputs it listed: an object delivered meanwhile stays, and the next run merges it', async () => {
    const day = '2025-07-02';
    const expected = await deliverDay(day);
    const late = reading({
      substation: 'LV1000',
      feeder: '01',
      measurement: 'l2_current',
      ts: `${day}T12:00:00Z`,
      value: 7,
    });
    const lateKey = `${partitionPrefix(partitionOf(day))}dubegrid-lake-1-late.parquet`;
    const r = await compactPartition(
      deps({
        beforeStep: async (s, _p, k) => {
          if (s === 'upload' && k === 0) await put(lateKey, [late]);
        },
      }),
      partitionOfDay(day),
    );
    expect(r.status).toBe('compacted');
    expect((await objectsOf(day)).map((o) => o.key)).toContain(lateKey);
    expected.set(late.event_id, late);
    await expectEveryRowOnce(day, expected);
    const again = await compactPartition(deps(), partitionOfDay(day));
    expect(again.status).toBe('compacted');
    expect((await objectsOf(day)).map((o) => o.key)).not.toContain(lateKey);
    await expectEveryRowOnce(day, expected);
  });

  it('merges a late reading and a late correction that land after it, keeping each once', async () => {
    const day = '2025-07-03';
    const expected = await deliverDay(day);
    expect((await compactPartition(deps(), partitionOfDay(day))).status).toBe('compacted');
    const [first] = [...expected.values()];
    const correction = { ...(first as ReadingEvent), value: -1, ingested_at: '2025-10-01T00:00:00.000Z' };
    const late = reading({
      substation: 'LV1001',
      feeder: '01',
      measurement: 'l3_current',
      ts: `${day}T23:59:00Z`,
      value: 9,
    });
    await put(`${partitionPrefix(partitionOf(day))}dubegrid-lake-1-late.parquet`, [late, correction]);
    const r = await compactPartition(deps(), partitionOfDay(day));
    expect(r.status).toBe('compacted');
    expect(r.rows_out).toBe(expected.size + 1);
    expected.set(late.event_id, late).set(correction.event_id, correction);
    await expectEveryRowOnce(day, expected);
  });

  it('is kept out by a live lease, and takes over one whose holder died', async () => {
    const day = '2025-07-04';
    await deliverDay(day, 2);
    const leases = new DynamoLeaseStore(stack().clients.doc);
    const now = Date.now();
    const id = `compaction#${partitionPrefix(partitionOfDay(day))}`;
    expect((await leases.acquire(id, 'another-run', now, 60_000)).ok).toBe(true);
    const kept = await compactPartition(deps({ now: () => now + 1000 }), partitionOfDay(day));
    expect(kept.status).toBe('leased');
    expect(kept.error).toBe('held by run another-run');
    expect((await objectsOf(day)).length).toBe(3);
    const took = await compactPartition(deps({ now: () => now + 62_000 }), partitionOfDay(day));
    expect(took.status).toBe('compacted');
    // the lease is given back: a later run may start at once
    expect((await leases.acquire(id, 'a-third-run', now + 63_000, 60_000)).ok).toBe(true);
  });

  it('two runs at once: one compacts, the other is kept out, and nothing is lost', async () => {
    const day = '2025-07-05';
    const expected = await deliverDay(day);
    // run A takes the lease, then waits (before listing its inputs) until run B has tried
    let leased: () => void = () => undefined;
    let release: () => void = () => undefined;
    const aLeased = new Promise<void>((r) => (leased = r));
    const bTried = new Promise<void>((r) => (release = r));
    const a = compactPartition(
      deps({
        beforeStep: (s) => {
          if (s !== 'list') return;
          leased();
          return bTried;
        },
      }),
      partitionOfDay(day),
    );
    await aLeased;
    const b = await compactPartition(deps(), partitionOfDay(day));
    release();
    expect(b.status).toBe('leased');
    expect((await a).status).toBe('compacted');
    await expectEveryRowOnce(day, expected);
  });
});

describe('compacting the lake', () => {
  it('skips partitions that are not quiet yet, and compacts --since a day', async () => {
    const { s3, names } = stack().clients;
    const day = '2025-08-20';
    await deliverDay(day, 2);
    const quiet = await compactLake(deps(), { day, quietMs: 3_600_000 });
    expect(quiet.partitions.map((p) => p.status)).toEqual(['not-quiet']);
    const since = await compactLake(deps(), { since: '2025-08-01' });
    expect(since.compacted_days).toEqual([day]);
    expect(since.partitions.every((p) => p.day >= '2025-08-01')).toBe(true);
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: names.bucket,
        Delete: { Objects: (await objectsOf(day)).map((o) => ({ Key: o.key })) },
      }),
    );
  });

  it('refuses a malformed day with a clear message', async () => {
    await expect(compactLake(deps(), { day: '2025-02-30' })).rejects.toThrow(
      'expected a day as YYYY-MM-DD, got "2025-02-30"',
    );
  });
});
