/**
 * The same SQL through Athena (`--target aws`): start the execution in the DubeGrid
 * workgroup (which enforces the result location) and database, poll until it ends
 * with a growing delay, then page through the results. Parameters go as execution
 * parameters (string literals). A failed, cancelled or timed-out query is a
 * `QueryError` with Athena's reason on one line; a timed-out one is stopped first.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
  type Row,
} from '@aws-sdk/client-athena';
import { ATHENA, GLUE } from '../../shared/resources.ts';
import { oneLine, QueryError, type Cell, type QueryResult, type ResultColumn, type SqlEngine } from './result.ts';

/** The client methods used: a real `AthenaClient`, or a test double. */
export type AthenaSender = Pick<AthenaClient, 'send'>;

export interface AthenaEngineOptions {
  readonly athena: AthenaSender;
  /** @default GLUE.databaseName */
  readonly database?: string;
  /** @default ATHENA.workgroup */
  readonly workgroup?: string;
  /** Give up (and stop the query) after this long. @default 5 min */
  readonly timeoutMs?: number;
  /** Polling delay: starts at `firstMs`, grows ×1.5 up to `maxMs`. */
  readonly poll?: { readonly firstMs: number; readonly maxMs: number };
  /** Results per GetQueryResults page (Athena's maximum is 1000). */
  readonly pageSize?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export const ATHENA_POLL = { firstMs: 250, maxMs: 2_000 } as const;

/** Athena execution parameters are SQL literals: every DubeGrid parameter is a string. */
export function athenaLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export class AthenaSqlEngine implements SqlEngine {
  readonly target = 'aws' as const;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: AthenaEngineOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
  }

  async run(sql: string, params: readonly string[] = []): Promise<QueryResult> {
    const { athena } = this.options;
    const started = await athena
      .send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          QueryExecutionContext: { Database: this.options.database ?? GLUE.databaseName, Catalog: 'AwsDataCatalog' },
          WorkGroup: this.options.workgroup ?? ATHENA.workgroup,
          ...(params.length ? { ExecutionParameters: params.map(athenaLiteral) } : {}),
        }),
      )
      .catch((err: Error) => {
        throw new QueryError(oneLine(err.message), { cause: err });
      });
    const id = started.QueryExecutionId;
    if (!id) throw new QueryError('Athena started no query execution');
    const statementType = await this.waitFor(id);
    return readResults(athena, id, statementType, this.options.pageSize);
  }

  async close(): Promise<void> {
    // the client belongs to whoever built it
  }

  /** Polls until the query ends; its statement type (`DML`, `DDL`, `UTILITY`) when it succeeded. */
  private async waitFor(id: string): Promise<string | undefined> {
    const { athena } = this.options;
    const poll = this.options.poll ?? ATHENA_POLL;
    const deadline = this.now() + (this.options.timeoutMs ?? 300_000);
    let delay: number = poll.firstMs;
    for (;;) {
      const out = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const status = out.QueryExecution?.Status;
      switch (status?.State) {
        case 'SUCCEEDED':
          return out.QueryExecution?.StatementType;
        case 'FAILED':
          throw new QueryError(
            oneLine(status.AthenaError?.ErrorMessage ?? status.StateChangeReason ?? `query ${id} failed`),
          );
        case 'CANCELLED':
          throw new QueryError(
            `query ${id} was cancelled${status.StateChangeReason ? `: ${oneLine(status.StateChangeReason)}` : ''}`,
          );
        default:
          break; // QUEUED, RUNNING
      }
      if (this.now() + delay > deadline) {
        await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        throw new QueryError(
          `query ${id} did not finish within ${Math.round((this.options.timeoutMs ?? 300_000) / 1000)} s; it was stopped`,
        );
      }
      await this.sleep(delay);
      delay = Math.min(poll.maxMs, Math.round(delay * 1.5));
    }
  }
}

/** A succeeded execution's rows, every page, in the shape the local engine gives. */
export async function readResults(
  athena: AthenaSender,
  id: string,
  statementType: string | undefined,
  pageSize = 1000,
): Promise<QueryResult> {
  let columns: ResultColumn[] | undefined;
  const rows: Cell[][] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await athena.send(
      new GetQueryResultsCommand({
        QueryExecutionId: id,
        NextToken: token,
        MaxResults: pageSize,
      }),
    );
    const info: ColumnInfo[] = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    columns ??= info.map((c) => ({ name: c.Name ?? c.Label ?? '', type: (c.Type ?? 'varchar').toLowerCase() }));
    let data: Row[] = page.ResultSet?.Rows ?? [];
    // a SELECT's (DML) first row of the first page repeats the column names
    if (
      first &&
      data.length &&
      (statementType === 'DML' || (statementType === undefined && isHeader(data[0] as Row, columns)))
    )
      data = data.slice(1);
    first = false;
    for (const r of data)
      rows.push((r.Data ?? []).map((d, i) => cellOf(d.VarCharValue, columns?.[i]?.type ?? 'varchar')));
    token = page.NextToken;
  } while (token);
  return { columns: columns ?? [], rows };
}

function isHeader(row: Row, columns: readonly ResultColumn[]): boolean {
  const values = (row.Data ?? []).map((d) => d.VarCharValue);
  return values.length === columns.length && values.every((v, i) => v === columns[i]?.name);
}

/** Athena returns every value as text: back to the shape the local engine gives. */
export function cellOf(text: string | undefined, type: string): Cell {
  if (text === undefined) return null;
  const base = type.replace(/\(.*$/, '');
  switch (base) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'double':
    case 'real':
    case 'float':
    case 'decimal':
      return text === 'NaN' ? Number.NaN : Number(text);
    case 'boolean':
      return text === 'true';
    case 'timestamp': {
      // `2025-08-14 15:00:00.000` (UTC wall clock) → the contract's canonical form
      const iso = `${text.replace(' ', 'T')}${text.includes('.') ? '' : '.000'}Z`;
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? text : d.toISOString();
    }
    default:
      return text;
  }
}
