/**
 * The Athena path cannot reach AWS from here: its protocol (start, poll, page, stop)
 * is checked against a scripted client that records every command it is sent.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import { athenaLiteral, AthenaSqlEngine, cellOf, type AthenaSender } from '../../src/ops/query/athena-engine.ts';
import { runNamed } from '../../src/ops/query/named.ts';
import { QueryError, rowObjects } from '../../src/ops/query/result.ts';
import { NAMED_QUERIES } from '../../src/shared/queries.ts';

type Sent = { name: string; input: Record<string, unknown> };

function scripted(
  states: GetQueryExecutionCommandOutput['QueryExecution'][],
  pages: Partial<GetQueryResultsCommandOutput>[] = [],
) {
  const sent: Sent[] = [];
  const client: AthenaSender = {
    send: (async (command: { input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      if (command instanceof StartQueryExecutionCommand) return { QueryExecutionId: 'q-1' };
      if (command instanceof GetQueryExecutionCommand)
        return { QueryExecution: states.shift() ?? states[states.length - 1] };
      if (command instanceof GetQueryResultsCommand) return pages.shift() ?? {};
      if (command instanceof StopQueryExecutionCommand) return {};
      throw new Error(`unexpected ${name}`);
    }) as AthenaSender['send'],
  };
  return { client, sent };
}

const columns = [
  { Name: 'asset_id', Type: 'varchar' },
  { Name: 'peak_load_kw', Type: 'double' },
  { Name: 'intervals', Type: 'bigint' },
  { Name: 'peak_at', Type: 'timestamp' },
];
const row = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

describe('the Athena engine', () => {
  it('starts in the workgroup and database, polls until done, pages the results and drops the header row', async () => {
    const { client, sent } = scripted(
      [
        { Status: { State: 'QUEUED' } },
        { Status: { State: 'RUNNING' } },
        { Status: { State: 'SUCCEEDED' }, StatementType: 'DML' },
      ],
      [
        {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: columns },
            Rows: [
              row('asset_id', 'peak_load_kw', 'intervals', 'peak_at'),
              row('S1', '30.0', '4', '2025-08-02 00:00:00.000'),
            ],
          },
          NextToken: 't2',
        },
        { ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row('S2:02', '9.5', '2', undefined)] } },
      ],
    );
    const slept: number[] = [];
    const engine = new AthenaSqlEngine({ athena: client, sleep: async (ms) => void slept.push(ms) });
    const result = await runNamed(engine, 'peak_load_by_asset', { year: '2025', month: '08' });

    expect(sent.map((s) => s.name)).toEqual([
      'StartQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryResultsCommand',
      'GetQueryResultsCommand',
    ]);
    expect(sent[0]?.input).toEqual({
      QueryString: NAMED_QUERIES.peak_load_by_asset.sql,
      QueryExecutionContext: { Database: 'dubegrid', Catalog: 'AwsDataCatalog' },
      WorkGroup: 'dubegrid',
      ExecutionParameters: ["'2025'", "'08'"],
    });
    expect(sent[5]?.input).toMatchObject({ QueryExecutionId: 'q-1', NextToken: 't2' });
    expect(slept).toEqual([250, 375]);
    expect(rowObjects(result)).toEqual([
      { asset_id: 'S1', peak_load_kw: 30, intervals: 4, peak_at: '2025-08-02T00:00:00.000Z' },
      { asset_id: 'S2:02', peak_load_kw: 9.5, intervals: 2, peak_at: null },
    ]);
  });

  it('sends no execution parameters for plain SQL, and drops only the header row of a SELECT', async () => {
    const info = { ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'varchar' }] } };
    const { client, sent } = scripted(
      [{ Status: { State: 'SUCCEEDED' }, StatementType: 'DML' }],
      [{ ResultSet: { ...info, Rows: [row('n'), row('n'), row('7')] } }],
    );
    const result = await new AthenaSqlEngine({ athena: client, sleep: async () => undefined }).run(
      "SELECT x AS n FROM (VALUES 'n', '7') t(x)",
    );
    expect(sent[0]?.input.ExecutionParameters).toBeUndefined();
    expect(result.rows).toEqual([['n'], ['7']]);
    // a utility statement (SHOW TABLES) has no header row
    const show = scripted(
      [{ Status: { State: 'SUCCEEDED' }, StatementType: 'UTILITY' }],
      [
        {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: [{ Name: 'tab_name', Type: 'varchar' }] },
            Rows: [row('readings'), row('readings_delivered')],
          },
        },
      ],
    );
    expect(
      (await new AthenaSqlEngine({ athena: show.client, sleep: async () => undefined }).run('SHOW TABLES')).rows,
    ).toEqual([['readings'], ['readings_delivered']]);
  });

  it('reports a failed query with Athena’s reason on one line', async () => {
    const { client } = scripted([
      {
        Status: {
          State: 'FAILED',
          StateChangeReason: 'fallback',
          AthenaError: { ErrorMessage: "COLUMN_NOT_FOUND: line 1:8: Column 'nosuch' cannot be resolved\nmore detail" },
        },
      },
    ]);
    const run = new AthenaSqlEngine({ athena: client, sleep: async () => undefined }).run(
      'SELECT nosuch FROM readings',
    );
    await expect(run).rejects.toBeInstanceOf(QueryError);
    await expect(run).rejects.toThrow(/^COLUMN_NOT_FOUND: line 1:8: Column 'nosuch' cannot be resolved more detail$/);
  });

  it('reports a cancelled query', async () => {
    const { client } = scripted([{ Status: { State: 'CANCELLED', StateChangeReason: 'cancelled by user' } }]);
    await expect(new AthenaSqlEngine({ athena: client, sleep: async () => undefined }).run('SELECT 1')).rejects.toThrow(
      'query q-1 was cancelled: cancelled by user',
    );
  });

  it('stops a query that runs past the timeout', async () => {
    const { client, sent } = scripted([{ Status: { State: 'RUNNING' } }]);
    let clock = 0;
    const engine = new AthenaSqlEngine({
      athena: client,
      timeoutMs: 1_000,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    });
    await expect(engine.run('SELECT 1')).rejects.toThrow('query q-1 did not finish within 1 s; it was stopped');
    expect(sent[sent.length - 1]).toEqual({ name: 'StopQueryExecutionCommand', input: { QueryExecutionId: 'q-1' } });
  });

  it('turns a refused start into a QueryError', async () => {
    const client: AthenaSender = {
      send: (async () => {
        throw Object.assign(new Error('InvalidRequestException: Queries of this type are not supported'), {
          name: 'InvalidRequestException',
        });
      }) as AthenaSender['send'],
    };
    await expect(new AthenaSqlEngine({ athena: client }).run('DROP TABLE x')).rejects.toThrow(
      /^InvalidRequestException: Queries of this type are not supported$/,
    );
  });

  it('quotes parameters as SQL string literals and converts Athena’s text values', () => {
    expect(athenaLiteral("O'Brien Rd")).toBe("'O''Brien Rd'");
    expect(cellOf('12345678901', 'bigint')).toBe(12345678901);
    expect(cellOf('99999999999999999999', 'bigint')).toBe('99999999999999999999');
    expect(cellOf('1.5', 'decimal(10,2)')).toBe(1.5);
    expect(cellOf('true', 'boolean')).toBe(true);
    expect(cellOf('2025-08-14 15:00:00.123', 'timestamp(3)')).toBe('2025-08-14T15:00:00.123Z');
    expect(cellOf('2025-08-14 15:00:00', 'timestamp')).toBe('2025-08-14T15:00:00.000Z');
    expect(cellOf('2025-08-14', 'date')).toBe('2025-08-14');
    expect(cellOf(undefined, 'varchar')).toBeNull();
  });
});
