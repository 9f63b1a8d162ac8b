/**
 * The Lambda's named-query runs against the Athena protocol (the contract fake):
 * a run outlives the request, a lookup answers only for executions of that named
 * query in the API's workgroup, parameters are checked before Athena is asked.
 */
import { StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { beforeAll, describe, expect, it } from 'vitest';
import { AthenaRuns } from '../../src/api/athena-runs.ts';
import { waitForRun } from '../../src/api/query-runs.ts';
import { ATHENA } from '../../src/shared/resources.ts';
import { NAMED_QUERIES, QueryParameterError } from '../../src/shared/queries.ts';
import { FakeAthena } from '../contract/fake-athena.ts';

describe('AthenaRuns', () => {
  let athena: FakeAthena;
  beforeAll(async () => {
    athena = await FakeAthena.create(async (db) => {
      await db.run(
        "CREATE TABLE readings AS SELECT '2025' AS y, '08' AS m, 'A:1' AS asset_id, 'l1_voltage' AS measurement, TIMESTAMP '2025-08-01 00:10:00' AS ts, 'V' AS unit, 240.5::DOUBLE AS value",
      );
    });
  });

  const params = { year: '2025', month: '08', asset_id: 'A:1', measurement: 'l1_voltage' };
  const noSleep = async (): Promise<void> => undefined;

  it('starts in the API workgroup, answers running, then the rows', async () => {
    const runs = new AthenaRuns({ athena: athena.client, sleep: noSleep });
    const id = await runs.start('asset_measurement_month', params);
    expect(id).toMatch(/^asset_measurement_month\./);
    const start = athena.requests.findLast((r) => r.name === StartQueryExecutionCommand.name);
    expect(start?.input.WorkGroup).toBe(ATHENA.apiWorkgroup);
    expect((await runs.get(id))?.state).toBe('running');
    const done = await waitForRun(runs, id, 5_000, noSleep);
    expect(done).toMatchObject({ state: 'succeeded', rows: [['2025-08-01T00:10:00.000Z', 'V', 240.5]] });
  });

  it('refuses SQL in a parameter before Athena is asked', async () => {
    const runs = new AthenaRuns({ athena: athena.client, sleep: noSleep });
    const before = athena.requests.length;
    await expect(
      runs.start('asset_measurement_month', { ...params, asset_id: "'; DROP TABLE readings; --" }),
    ).rejects.toThrow(QueryParameterError);
    expect(athena.requests.length).toBe(before);
  });

  it('an id of another workgroup, another query or none at all is unknown', async () => {
    const other = new AthenaRuns({ athena: athena.client, workgroup: 'someone-else', sleep: noSleep });
    const foreign = await other.start('asset_measurement_month', params);
    const runs = new AthenaRuns({ athena: athena.client, sleep: noSleep });
    expect(await runs.get(foreign)).toBeUndefined();
    const mine = await runs.start('asset_measurement_month', params);
    const relabelled = mine.replace('asset_measurement_month', NAMED_QUERIES.peak_load_by_asset.name);
    expect(await runs.get(relabelled)).toBeUndefined();
    expect(await runs.get('asset_measurement_month.q-does-not-exist')).toBeUndefined();
    expect(await runs.get('nonsense')).toBeUndefined();
  });

  it('a failed execution is a failed run with one line of reason', async () => {
    const runs = new AthenaRuns({ athena: athena.client, sleep: noSleep });
    // the fake has no `alerts` relation: the engine fails the statement
    const id = await runs.start('asset_summary_monthly', { year: '2025', month: '08' });
    const run = await waitForRun(runs, id, 5_000, noSleep);
    expect(run?.state).toBe('failed');
    expect(run?.error).not.toMatch(/\n/);
  });
});
