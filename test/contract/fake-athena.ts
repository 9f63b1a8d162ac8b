/**
 * A fake of the Athena API for contract tests, answering from DuckDB. It checks each
 * request as the Athena API reference describes it (StartQueryExecution:
 * `ExecutionParameters` has at least one member and as many as the `?` placeholders;
 * GetQueryResults: `MaxResults` 1–1000, `NextToken` one it issued) and answers in the
 * reference's shapes: an execution is QUEUED/RUNNING before it ends, a SELECT's first
 * page starts with a header row, every value is `VarCharValue` text (absent for
 * NULL), pages are chained by `NextToken`. The answers are DuckDB's, not Athena's:
 * what is checked is the engine's protocol, not Athena's SQL.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type ColumnInfo,
  type Row,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { AthenaSender } from '../../src/ops/query/athena-engine.ts';

export class FakeAthenaError extends Error {
  constructor(
    override readonly name: 'InvalidRequestException',
    message: string,
  ) {
    super(message);
  }
}

interface Execution {
  polls: number;
  /** As the reference returns them: the statement as sent (placeholders kept) and its workgroup. */
  query: string;
  workGroup: string;
  statementType: 'DML' | 'DDL';
  error?: string;
  columns: ColumnInfo[];
  rows: Row[];
}

export class FakeAthena {
  readonly requests: { name: string; input: Record<string, unknown> }[] = [];
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, { id: string; offset: number }>();
  private seq = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
  ) {}

  /** `setup` makes the relations a test queries (the Glue catalogue's part, for the fake). */
  static async create(setup?: (db: DuckDBConnection) => Promise<void>): Promise<FakeAthena> {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    await db.run("SET TimeZone = 'UTC'").catch(() => undefined);
    // Athena's from_base(text, 16) as a DuckDB macro (hex only: what DubeGrid's SQL uses)
    await db.run("CREATE MACRO from_base(s, b) AS CAST(CAST('0x' || s AS UBIGINT) AS BIGINT)");
    await setup?.(db);
    return new FakeAthena(instance, db);
  }

  close(): void {
    this.db.closeSync();
    this.instance.closeSync();
  }

  readonly client: AthenaSender = {
    send: ((command: { input: Record<string, unknown> }) => this.send(command)) as AthenaSender['send'],
  };

  private async send(command: { input: Record<string, unknown> }): Promise<unknown> {
    this.requests.push({ name: command.constructor.name, input: command.input });
    if (command instanceof StartQueryExecutionCommand) return this.start(command.input);
    if (command instanceof GetQueryExecutionCommand) return this.execution(command.input.QueryExecutionId ?? '');
    if (command instanceof GetQueryResultsCommand)
      return this.results(command.input.QueryExecutionId ?? '', command.input.NextToken, command.input.MaxResults);
    if (command instanceof StopQueryExecutionCommand) return {};
    throw new Error(`the fake does not answer ${command.constructor.name}`);
  }

  private async start(input: StartQueryExecutionCommandInput): Promise<{ QueryExecutionId: string }> {
    const sql = input.QueryString ?? '';
    if (!sql) throw new FakeAthenaError('InvalidRequestException', 'QueryString is required');
    if (!input.WorkGroup)
      throw new FakeAthenaError('InvalidRequestException', 'the fake expects every query in a workgroup');
    const params = input.ExecutionParameters;
    if (params !== undefined && params.length === 0) {
      throw new FakeAthenaError(
        'InvalidRequestException',
        "1 validation error detected: Value '[]' at 'executionParameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    const placeholders = splitOnPlaceholders(sql);
    if (placeholders.length - 1 !== (params?.length ?? 0)) {
      throw new FakeAthenaError(
        'InvalidRequestException',
        `the query has ${placeholders.length - 1} parameter(s), ${params?.length ?? 0} were given`,
      );
    }
    // Athena substitutes the literals for the placeholders
    const text = placeholders.reduce((acc, part, i) => (i === 0 ? part : `${acc}${params?.[i - 1] ?? ''}${part}`), '');
    const id = `q-${++this.seq}`;
    const statementType = /^\s*(select|with|values)\b/i.test(text) ? 'DML' : 'DDL';
    try {
      const reader = await this.db.runAndReadAll(text);
      const types = reader.columnTypes().map((t) => athenaType(t.toString()));
      const columns: ColumnInfo[] = reader.columnNames().map((Name, i) => ({
        Name,
        Label: Name,
        Type: types[i] ?? 'varchar',
        Nullable: 'UNKNOWN',
        CaseSensitive: false,
      }));
      const data: Row[] = reader.getRowsJS().map((row) => ({
        Data: row.map((v) => (v === null || v === undefined ? {} : { VarCharValue: athenaText(v) })),
      }));
      const header: Row[] =
        statementType === 'DML' ? [{ Data: columns.map((c) => ({ VarCharValue: c.Name ?? '' })) }] : [];
      this.executions.set(id, {
        polls: 0,
        query: sql,
        workGroup: input.WorkGroup,
        statementType,
        columns,
        rows: [...header, ...data],
      });
    } catch (err) {
      this.executions.set(id, {
        polls: 0,
        query: sql,
        workGroup: input.WorkGroup,
        statementType,
        error: (err as Error).message,
        columns: [],
        rows: [],
      });
    }
    return { QueryExecutionId: id };
  }

  private execution(id: string): unknown {
    const e = this.executions.get(id);
    if (!e) throw new FakeAthenaError('InvalidRequestException', `QueryExecution ${id} was not found`);
    e.polls++;
    const State = e.polls === 1 ? 'QUEUED' : e.polls === 2 ? 'RUNNING' : e.error ? 'FAILED' : 'SUCCEEDED';
    const Status =
      State === 'FAILED'
        ? {
            State,
            StateChangeReason: e.error,
            AthenaError: { ErrorCategory: 2, ErrorType: 1006, ErrorMessage: e.error },
          }
        : { State };
    return {
      QueryExecution: {
        QueryExecutionId: id,
        Query: e.query,
        WorkGroup: e.workGroup,
        StatementType: e.statementType,
        Status,
      },
    };
  }

  private results(id: string, token: string | undefined, maxResults: number | undefined): unknown {
    const e = this.executions.get(id);
    if (!e) throw new FakeAthenaError('InvalidRequestException', `QueryExecution ${id} was not found`);
    if (e.polls < 3 || e.error)
      throw new FakeAthenaError(
        'InvalidRequestException',
        `Query has not yet finished. Current state: ${e.error ? 'FAILED' : 'RUNNING'}`,
      );
    if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000))
      throw new FakeAthenaError('InvalidRequestException', 'MaxResults must be between 1 and 1000');
    let offset = 0;
    if (token !== undefined) {
      const at = this.tokens.get(token);
      if (!at || at.id !== id) throw new FakeAthenaError('InvalidRequestException', 'Invalid NextToken');
      offset = at.offset;
    }
    const size = maxResults ?? 1000;
    const page = e.rows.slice(offset, offset + size);
    const next = offset + size < e.rows.length ? `t-${++this.seq}` : undefined;
    if (next) this.tokens.set(next, { id, offset: offset + size });
    return {
      UpdateCount: 0,
      ResultSet: { Rows: page, ResultSetMetadata: { ColumnInfo: e.columns } },
      ...(next ? { NextToken: next } : {}),
    };
  }
}

/** The SQL split at each `?` outside quotes. */
function splitOnPlaceholders(sql: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '?') {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

/** Athena's names for the types DuckDB gives. */
function athenaType(duck: string): string {
  const t = duck.toLowerCase();
  if (t.startsWith('decimal')) return 'decimal';
  if (t === 'timestamp with time zone') return 'timestamp with time zone';
  return t;
}

/** Values as Athena's text: timestamps `YYYY-MM-DD HH:MM:SS.mmm`, the rest as printed. */
function athenaText(v: unknown): string {
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
  return String(v);
}
