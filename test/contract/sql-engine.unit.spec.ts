/**
 * The SQL engine contract run against DuckDB (an empty lake) and against Athena
 * through the fake of its API; then what only Athena has: the requests themselves.
 */
import { describe, expect, it } from 'vitest';
import { AthenaSqlEngine } from '../../src/ops/query/athena-engine.ts';
import { LocalSqlEngine } from '../../src/ops/query/local-engine.ts';
import { ATHENA, GLUE } from '../../src/shared/resources.ts';
import { tempDir } from '../support/tmp.ts';
import { FakeAthena } from './fake-athena.ts';
import { sqlEngineContract } from './sql-engine.contract.ts';

const noWait = async (): Promise<void> => undefined;

sqlEngineContract('DuckDB (local)', async () => {
  const { dir, cleanup } = await tempDir();
  const engine = await LocalSqlEngine.open({ lakeDir: dir, threads: 1 });
  return {
    engine,
    close: async () => {
      await engine.close();
      await cleanup();
    },
  };
});

sqlEngineContract('Athena (fake of its API)', async () => {
  const athena = await FakeAthena.create();
  return { engine: new AthenaSqlEngine({ athena: athena.client, sleep: noWait }), close: async () => athena.close() };
});

describe('Athena requests', () => {
  const run = async (sql: string, params?: string[]) => {
    const athena = await FakeAthena.create();
    try {
      const result = await new AthenaSqlEngine({ athena: athena.client, sleep: noWait }).run(sql, params);
      return { result, requests: athena.requests };
    } finally {
      athena.close();
    }
  };

  it('starts the query in the DubeGrid workgroup and database, without ExecutionParameters when there are none', async () => {
    const { requests } = await run('SELECT 1 AS n');
    const start = requests.find((r) => r.name === 'StartQueryExecutionCommand');
    expect(start?.input).toEqual({
      QueryString: 'SELECT 1 AS n',
      QueryExecutionContext: { Database: GLUE.databaseName, Catalog: 'AwsDataCatalog' },
      WorkGroup: ATHENA.workgroup,
    });
  });

  it('sends parameters as quoted SQL literals', async () => {
    const { requests } = await run('SELECT CAST(? AS VARCHAR) AS a', ["it's"]);
    expect(requests[0]?.input).toMatchObject({ ExecutionParameters: ["'it''s'"] });
  });

  it('polls until the execution ends, then pages through the results with NextToken', async () => {
    const { requests } = await run('SELECT CAST(i AS INTEGER) AS i FROM range(2500) AS t(i)');
    expect(requests.map((r) => r.name)).toEqual([
      'StartQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryResultsCommand',
      'GetQueryResultsCommand',
      'GetQueryResultsCommand',
    ]);
    const pages = requests.filter((r) => r.name === 'GetQueryResultsCommand').map((r) => r.input);
    expect(pages[0]).toMatchObject({ QueryExecutionId: 'q-1', MaxResults: 1000 });
    expect(pages[0]?.NextToken).toBeUndefined();
    expect(pages[1]?.NextToken).toEqual(expect.any(String));
    expect(pages[2]?.NextToken).toEqual(expect.any(String));
  });
});
