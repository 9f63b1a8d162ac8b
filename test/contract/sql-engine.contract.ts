/**
 * The SQL engine contract: what `dubegrid query`, the named queries and the reports
 * may count on from `SqlEngine`, on either target. One suite, run against every
 * implementation (`sql-engine.unit.spec.ts`): DuckDB, and Athena through a fake of
 * its API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryError, type SqlEngine } from '../../src/ops/query/result.ts';

export function sqlEngineContract(
  name: string,
  make: () => Promise<{ engine: SqlEngine; close(): Promise<void> }>,
): void {
  describe(`SQL engine contract: ${name}`, () => {
    let impl: { engine: SqlEngine; close(): Promise<void> };
    beforeAll(async () => {
      impl = await make();
    });
    afterAll(async () => {
      await impl.close();
    });

    it('answers typed columns and JSON-safe cells: numbers, text, booleans, canonical timestamps, nulls', async () => {
      const r = await impl.engine.run(
        "SELECT 42 AS n, CAST(9007199254740993 AS BIGINT) AS big, CAST(1.5 AS DOUBLE) AS d, 'x' AS s, true AS b, TIMESTAMP '2025-08-14 15:00:00' AS ts, CAST(NULL AS VARCHAR) AS z",
      );
      expect(r.columns).toEqual([
        { name: 'n', type: 'integer' },
        { name: 'big', type: 'bigint' },
        { name: 'd', type: 'double' },
        { name: 's', type: 'varchar' },
        { name: 'b', type: 'boolean' },
        { name: 'ts', type: 'timestamp' },
        { name: 'z', type: 'varchar' },
      ]);
      expect(r.rows).toEqual([[42, '9007199254740993', 1.5, 'x', true, '2025-08-14T15:00:00.000Z', null]]);
    });

    it('binds parameters to the ? placeholders in order, as strings, quotes included', async () => {
      const r = await impl.engine.run('SELECT CAST(? AS VARCHAR) AS a, CAST(? AS VARCHAR) AS b', ["it's", '2']);
      expect(r.rows).toEqual([["it's", '2']]);
    });

    it('runs a statement without parameters', async () => {
      const r = await impl.engine.run("SELECT 'no params' AS s");
      expect(r.rows).toEqual([['no params']]);
    });

    it('answers the columns of a query that finds no rows', async () => {
      const r = await impl.engine.run('SELECT 1 AS n WHERE 1 = 0');
      expect(r).toEqual({ columns: [{ name: 'n', type: 'integer' }], rows: [] });
    });

    it('keeps a first row that looks like the column names', async () => {
      const r = await impl.engine.run("SELECT 'n' AS n UNION ALL SELECT 'm'");
      expect(r.rows).toEqual([['n'], ['m']]);
    });

    it('answers every row of a large result, in order', async () => {
      const r = await impl.engine.run('SELECT CAST(i AS INTEGER) AS i FROM range(2500) AS t(i) ORDER BY i');
      expect(r.rows).toHaveLength(2500);
      expect(r.rows.map((row) => row[0])).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    });

    it('reports a failed statement as a one-line QueryError', async () => {
      const err = await impl.engine.run('SELECT * FROM no_such_relation').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueryError);
      expect((err as Error).message).toMatch(/no_such_relation/);
      expect((err as Error).message).not.toContain('\n');
    });
  });
}
