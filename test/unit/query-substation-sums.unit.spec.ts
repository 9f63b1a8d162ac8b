/**
 * A substation's figure summed over its feeders does not depend on the order the engine
 * adds them. Feeders 01, 02, 03 of S export −0.1 and −0.2 kW and import 0.3 kW at 00:10: in
 * exact arithmetic S is at 0 kW, not exporting, but in doubles −0.1 + −0.2 + 0.3 is
 * −5.6e-17, which read as 10 reverse-power minutes (and in another order as none). The sums
 * are settled to 8 decimals (`intervalCtes`), so S reads 0, from readings and from the
 * interval facts alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { LocalSqlEngine } from '../../src/ops/query/local-engine.ts';
import { runNamed } from '../../src/ops/query/named.ts';
import { rowObjects } from '../../src/ops/query/result.ts';
import { writeIntervalFacts } from '../support/interval-facts.ts';
import { reading, writeLake } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const AUG = { year: '2025', month: '08' };
const KW: Record<string, readonly number[]> = { '01': [5, -0.1, 5], '02': [5, -0.2, 5], '03': [5, 0.3, 5] };

let readingsEngine: LocalSqlEngine;
let factsEngine: LocalSqlEngine;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const t = await tempDir('dubegrid-substation-sums-');
  cleanup = t.cleanup;
  const writer = await DuckDbParquetWriter.open();
  const events = Object.entries(KW).flatMap(([feeder, values]) =>
    values.map((value, i) =>
      reading({
        substation: 'S',
        feeder,
        measurement: 'total_active_power',
        ts: new Date(Date.UTC(2025, 7, 1, 0, 10 * i)).toISOString(),
        value,
      }),
    ),
  );
  await writeLake(t.dir, events, writer);
  await writer.close();
  readingsEngine = await LocalSqlEngine.open({ lakeDir: t.dir });
  await writeIntervalFacts(t.dir);
  factsEngine = await LocalSqlEngine.open({ lakeDir: t.dir });
});
afterAll(async () => {
  await readingsEngine.close();
  await factsEngine.close();
  await cleanup();
});

describe('a substation summed over its feeders', () => {
  it.each([
    ['readings', () => runNamed(readingsEngine, 'asset_summary_monthly', AUG)],
    ['the interval facts', () => runNamed(factsEngine, 'asset_summary_monthly', AUG, async () => true)],
  ])('is not exporting when its feeders net to 0 kW (from %s)', async (_from, run) => {
    const rows = rowObjects(await run()).map((r) => [r.asset_id, r.reverse_power_minutes]);
    expect(rows).toEqual([
      ['S', 0],
      ['S:01', 10],
      ['S:02', 10],
      ['S:03', 0],
    ]);
  });
});
