/**
 * Named-query runs on Athena, for the Lambda: a run is an Athena query execution in
 * the API's workgroup, so its state outlives the invocation that started it and any
 * instance can answer `GET /api/queries/runs/{id}`. The run id carries the query's
 * name; a lookup checks that the execution is in the API's workgroup and ran exactly
 * that named query, so an id cannot read another query's results.
 */
import { GetQueryExecutionCommand, StartQueryExecutionCommand, type QueryExecution } from '@aws-sdk/client-athena';
import { athenaLiteral, readResults, type AthenaSender } from '../ops/query/athena-engine.ts';
import { formToRun, type FactsCurrent } from '../ops/query/named.ts';
import { oneLine } from '../ops/query/result.ts';
import { ATHENA, GLUE } from '../shared/resources.ts';
import type { QueryRuns } from './deps.ts';
import { checkParams, namedQueryOf, RUN_POLL_MS } from './query-runs.ts';
import type { QueryRun } from './schemas.ts';

/** `<name>.<execution id>`: names are `[a-z_]`, execution ids UUIDs. */
const SEPARATOR = '.';

export interface AthenaRunsOptions {
  readonly athena: AthenaSender;
  /** @default ATHENA.apiWorkgroup */
  readonly workgroup?: string | undefined;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Whether a month's facts are current; a summary reads `readings` without it. */
  readonly factsCurrent?: FactsCurrent | undefined;
}

export class AthenaRuns implements QueryRuns {
  private readonly workgroup: string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: AthenaRunsOptions) {
    this.workgroup = options.workgroup ?? ATHENA.apiWorkgroup;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async start(name: string, params: Readonly<Record<string, string>>): Promise<string> {
    const query = namedQueryOf(name);
    if (!query) throw new Error(`no named query ${name}`);
    checkParams(query, params);
    const form = await formToRun(query, params, this.options.factsCurrent);
    const values = checkParams(form, params);
    const out = await this.options.athena.send(
      new StartQueryExecutionCommand({
        QueryString: form.sql,
        QueryExecutionContext: { Database: GLUE.databaseName, Catalog: 'AwsDataCatalog' },
        WorkGroup: this.workgroup,
        ...(values.length ? { ExecutionParameters: values.map(athenaLiteral) } : {}),
      }),
    );
    if (!out.QueryExecutionId) throw new Error('Athena started no query execution');
    return `${name}${SEPARATOR}${out.QueryExecutionId}`;
  }

  async get(id: string, waitMs = 0): Promise<QueryRun | undefined> {
    const at = id.indexOf(SEPARATOR);
    const name = id.slice(0, at);
    const executionId = id.slice(at + 1);
    const query = at > 0 ? namedQueryOf(name) : undefined;
    if (!query || !executionId) return undefined;
    const deadline = Date.now() + waitMs;
    for (;;) {
      let execution: QueryExecution | undefined;
      try {
        execution = (await this.options.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: executionId })))
          .QueryExecution;
      } catch (err) {
        if ((err as Error).name === 'InvalidRequestException') return undefined;
        throw err;
      }
      // either form of the query (a summary runs as its readings form while its facts are stale)
      const forms = [query, ...(query.fallback ? [query.fallback] : [])].map((q) => q.sql.trim());
      if (!execution || execution.WorkGroup !== this.workgroup || !forms.includes(execution.Query?.trim() ?? ''))
        return undefined;
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED') {
        const result = await readResults(this.options.athena, executionId, execution.StatementType);
        return {
          id,
          name,
          state: 'succeeded',
          columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
          rows: result.rows.map((r) => [...r]),
        };
      }
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = execution.Status?.AthenaError?.ErrorMessage ?? execution.Status?.StateChangeReason ?? state;
        return { id, name, state: 'failed', error: oneLine(reason) };
      }
      if (Date.now() + RUN_POLL_MS > deadline) return { id, name, state: 'running' };
      await this.sleep(RUN_POLL_MS);
    }
  }
}
