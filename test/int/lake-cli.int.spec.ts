/**
 * `dubegrid query` and `dubegrid report` as a user runs them: another process, attached
 * to a running embedded stack whose local Firehose has written the lake.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalFirehose } from '../../src/local/services/firehose.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { KeyedAggregator } from '../../src/shared/kpl.ts';
import { runCli } from '../support/cli.ts';
import { feederInterval, reading } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const events: ReadingEvent[] = [];
for (const [s, name] of [
  ['LV0001', 'Mill Road'],
  ['LV0002', "St John's Close"],
  ['LV0003', 'Quay, North'],
] as const) {
  for (let k = 0; k < 6; k++) {
    const ts = new Date(Date.parse('2025-08-14T23:30:00Z') + k * 600_000).toISOString();
    events.push(
      ...feederInterval(
        s,
        '01',
        ts,
        { kw: 10 + k + 0.123, kvar: 2.5, i: [40 + k, 41, 42], volts: [230.1, 231.2, 229.9] },
        name,
      ),
    );
    events.push(reading({ substation: s, name, measurement: 'total_apparent_power', ts, value: 33.3 + k }));
  }
}

let dir: string;
let cleanup: () => Promise<void>;
let stack: EmbeddedStack;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-lake-cli-'));
  stack = await startStack({
    dataDir: dir,
    services: [(ctx) => createLocalFirehose(ctx, { buffering: { sizeBytes: 1 << 20, intervalMs: 120_000 } })],
  });
  const agg = new KeyedAggregator();
  const records = events.flatMap((e) => agg.add(e.substation_id, Buffer.from(JSON.stringify(e))));
  records.push(...agg.flush());
  await stack.clients.kinesis.send(
    new PutRecordsCommand({
      StreamName: stack.clients.names.stream,
      Records: records.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
    }),
  );
  await stack.flush();
});
afterAll(async () => {
  await stack?.stop();
  await cleanup();
});

describe('dubegrid query and report', () => {
  it('runs a named query, prints CSV and writes the HTML report', async () => {
    const named = await runCli([
      'query',
      '--json',
      '--data-dir',
      dir,
      '--named',
      'avg_load_by_substation',
      '--param',
      'year=2025',
      '--param',
      'month=08',
    ]);
    expect(named.code).toBe(0);
    // each substation: P = 10.123 … 15.123 over six intervals → mean 12.623 → 12.62
    expect(JSON.parse(named.stdout).rows).toEqual([
      { substation_id: 'LV0001', substation_name: 'Mill Road', avg_load_kw: 12.62, peak_load_kw: 15.12, intervals: 6 },
      {
        substation_id: 'LV0002',
        substation_name: "St John's Close",
        avg_load_kw: 12.62,
        peak_load_kw: 15.12,
        intervals: 6,
      },
      {
        substation_id: 'LV0003',
        substation_name: 'Quay, North',
        avg_load_kw: 12.62,
        peak_load_kw: 15.12,
        intervals: 6,
      },
    ]);

    const csv = await runCli([
      'query',
      '--csv',
      '--data-dir',
      dir,
      "SELECT substation_name, count(*) AS n FROM readings WHERE measurement = 'total_active_power' GROUP BY 1 ORDER BY 1",
    ]);
    expect(csv.stdout).toBe('substation_name,n\nMill Road,6\n"Quay, North",6\nSt John\'s Close,6\n');

    const html = join(dir, 'report.html');
    const report = await runCli(['report', '--data-dir', dir, '--out', html, '--top', '2']);
    expect(report.stderr).toBe(`wrote ${html}\n`);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^Asset performance 2025-08: 6 assets/);
    const page = await readFile(html, 'utf8');
    expect(page.match(/<svg /g)).toHaveLength(4);
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('reports an SQL error as one line and a non-zero exit', async () => {
    const run = await runCli(['query', '--data-dir', dir, 'SELECT nosuch FROM readings']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^dubegrid: Binder Error: Referenced column "nosuch" not found/);
    const usage = await runCli(['query', '--data-dir', dir, '--named', 'peak_load_by_asset', '--param', 'year=2025']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe(
      'dubegrid: peak_load_by_asset needs --param month=… (month of the readings, MM (01-12), e.g. 08)\n',
    );
  });
});
