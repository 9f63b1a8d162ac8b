/**
 * Compaction on the real embedded pipeline, through the CLI a user runs beside
 * `dubegrid up`: a generated sample ingested in two parts plus a republished file
 * (duplicates and a correction), so each day partition holds several objects → every
 * named query answers, and verify holds → `dubegrid compact` → one object per day,
 * every named query gives the same answer, verify still holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactLake, type CompactionSummary } from '../../src/lake/compaction/compact.ts';
import { DynamoLeaseStore } from '../../src/lake/compaction/lease.ts';
import { listPartitionObjects, listPartitions } from '../../src/lake/compaction/objects.ts';
import type { EmbeddedStack } from '../../src/local/stack.ts';
import { runNamed } from '../../src/ops/query/named.ts';
import { openSqlEngine } from '../../src/ops/query/open.ts';
import { rowObjects } from '../../src/ops/query/result.ts';
import { NAMED_QUERIES } from '../../src/shared/queries.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import {
  generateData,
  ingestObject,
  loadAssets,
  RAW_PREFIX,
  startPipeline,
  webhook,
  type Webhook,
} from './replay.support.ts';
import { join } from 'node:path';

let dir: string;
let cleanup: () => Promise<void>;
let hook: Webhook;
let stack: EmbeddedStack;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-compact-sample-'));
  hook = await webhook();
  stack = await startPipeline(dir, hook);
  const data = await generateData(dir);
  await loadAssets(stack, data.assets);
  const [header, ...lines] = data.csv.toString('utf8').trimEnd().split('\n') as [string, ...string[]];
  const half = Math.floor(lines.length / 2);
  await ingestObject(stack, `${RAW_PREFIX}part1.csv`, [header, ...lines.slice(0, half), ''].join('\n'));
  await ingestObject(stack, `${RAW_PREFIX}part2.csv`, [header, ...lines.slice(half), ''].join('\n'));
  // a republished file: two readings again as they were, one corrected
  const corrected = (lines[2] as string).replace(/,([^,]*)$/, (_m, v: string) => `,${Number(v) + 1.5}`);
  await ingestObject(stack, `${RAW_PREFIX}republished.csv`, [header, lines[0], lines[1], corrected, ''].join('\n'));
});
afterAll(async () => {
  await stack?.stop();
  await hook?.close();
  await cleanup?.();
});

/** Every named query's answer, with parameters taken from the lake itself. */
async function answers(): Promise<Record<string, unknown>> {
  const { engine } = await openSqlEngine(stack.clients, join(dir, 'test-cache'));
  try {
    const [first] = rowObjects(
      await engine.run(
        "SELECT y, m, substation_id, feeder_id, asset_id, measurement FROM readings WHERE feeder_id <> '' ORDER BY ts, asset_id, measurement LIMIT 1",
      ),
    );
    const params: Record<string, string> = {
      year: String(first?.y),
      month: String(first?.m),
      substation_id: String(first?.substation_id),
      feeder_id: String(first?.feeder_id),
      asset_id: String(first?.asset_id),
      measurement: String(first?.measurement),
    };
    const out: Record<string, unknown> = {};
    for (const q of Object.values(NAMED_QUERIES)) {
      expect(
        q.parameters.filter((p) => params[p.name] === undefined).map((p) => p.name),
        q.name,
      ).toEqual([]);
      const values = Object.fromEntries(q.parameters.map((p) => [p.name, params[p.name] as string]));
      out[q.name] = rowObjects(await runNamed(engine, q.name, values));
    }
    return out;
  } finally {
    await engine.close();
  }
}

async function objectsPerDay(): Promise<number[]> {
  const { s3, names } = stack.clients;
  const out: number[] = [];
  for (const p of await listPartitions(s3, names.bucket))
    out.push((await listPartitionObjects(s3, names.bucket, p)).length);
  return out;
}

const verify = async (): Promise<number> => (await runCli(['verify', '--json', '--data-dir', dir])).code;
/** Builds the rollups, as the hourly timer would: the named queries over readings_hourly/daily read them. */
const rollups = async (): Promise<number> => (await runCli(['rollups', '--data-dir', dir])).code;

describe('dubegrid compact on an ingested sample', () => {
  it('changes no named query answer and verify holds before and after', async () => {
    expect(await rollups()).toBe(0);
    const before = await answers();
    for (const rows of Object.values(before)) expect((rows as unknown[]).length).toBeGreaterThan(0);
    expect(Math.max(...(await objectsPerDay()))).toBeGreaterThan(1);
    expect(await verify()).toBe(0);

    const run = await runCli(['compact', '--json', '--data-dir', dir]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as CompactionSummary;
    expect(summary.compacted_days.length).toBeGreaterThan(0);
    expect(summary.rows_out).toBeLessThan(summary.rows_in); // the republished duplicates are gone
    expect(await objectsPerDay()).toEqual(summary.partitions.map(() => 1));

    expect(await rollups()).toBe(0); // compaction changed the days' objects, so their rollups are rebuilt
    expect(await answers()).toEqual(before);
    expect(await verify()).toBe(0);

    const again = await compactLake({
      s3: stack.clients.s3,
      bucket: stack.clients.names.bucket,
      leases: new DynamoLeaseStore(stack.clients.doc),
    });
    expect(again.compacted_days).toEqual([]);
    expect(again.partitions.every((p) => p.status === 'already-compacted')).toBe(true);
  });

  it('says what is wrong with a bad flag, in one line', async () => {
    const bad = await runCli(['compact', '--day', '2025-13-01', '--data-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('dubegrid: --day: expected a day as YYYY-MM-DD, got "2025-13-01"');
  });
});
