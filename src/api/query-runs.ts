/**
 * Named-query runs over HTTP. No SQL travels: a request names a query of
 * `src/shared/queries.ts` and gives its parameters, each checked against its pattern
 * before anything runs. `EngineRuns` runs them in process on a `SqlEngine` (the
 * embedded target's DuckDB), one at a time, and keeps the latest results by id;
 * on AWS `AthenaRuns` (`athena-runs.ts`) keeps them in Athena.
 */
import { randomUUID } from 'node:crypto';
import { formToRun, type FactsCurrent } from '../ops/query/named.ts';
import type { SqlEngine } from '../ops/query/result.ts';
import { bindValues, isNamedQuery, NAMED_QUERIES, type NamedQuery } from '../shared/queries.ts';
import type { QueryRuns } from './deps.ts';
import type { QueryRun } from './schemas.ts';

/** The named query `name`, or undefined. */
export function namedQueryOf(name: string): NamedQuery | undefined {
  return isNamedQuery(name) ? NAMED_QUERIES[name] : undefined;
}

/** Throws `QueryParameterError` (a 400) unless `params` are exactly the query's, each valid. */
export function checkParams(query: NamedQuery, params: Readonly<Record<string, string>>): readonly string[] {
  return bindValues(query, params);
}

/** How often a waiting request looks at a run that is not done. */
export const RUN_POLL_MS = 250;

/** Waits up to `waitMs` for the run to finish; its state then. */
export async function waitForRun(
  runs: QueryRuns,
  id: string,
  waitMs: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<QueryRun | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const run = await runs.get(id, Math.max(0, Math.min(deadline - Date.now(), 5_000)));
    if (!run || run.state !== 'running' || Date.now() >= deadline) return run;
    await sleep(Math.min(RUN_POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

/** In-process runs on engines opened per run (the local engine mirrors the lake on open). */
export class EngineRuns implements QueryRuns {
  private readonly runs = new Map<string, { run: QueryRun; done: Promise<void> }>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly openEngine: () => Promise<SqlEngine>,
    /** Finished runs kept for `get`, oldest dropped first. */
    private readonly keep = 50,
    /** Whether a month's facts are current; a summary reads `readings` without it. */
    private readonly factsCurrent?: FactsCurrent,
  ) {}

  async start(name: string, params: Readonly<Record<string, string>>): Promise<string> {
    const query = namedQueryOf(name);
    if (!query) throw new Error(`no named query ${name}`);
    checkParams(query, params); // a bad parameter is refused before a run exists
    const id = randomUUID();
    const entry: { run: QueryRun; done: Promise<void> } = {
      run: { id, name, state: 'running' },
      done: Promise.resolve(),
    };
    // one at a time: runs share the lake mirror, which opening an engine refreshes
    const done = this.queue.then(async () => {
      try {
        const form = await formToRun(query, params, this.factsCurrent);
        const engine = await this.openEngine();
        try {
          const result = await engine.run(form.sql, checkParams(form, params));
          entry.run = {
            id,
            name,
            state: 'succeeded',
            columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
            rows: result.rows.map((r) => [...r]),
          };
        } finally {
          await engine.close();
        }
      } catch (err) {
        entry.run = { id, name, state: 'failed', error: (err as Error).message.split('\n')[0] ?? 'failed' };
      }
    });
    this.queue = done;
    entry.done = done;
    this.runs.set(id, entry);
    while (this.runs.size > this.keep) this.runs.delete(this.runs.keys().next().value as string);
    return id;
  }

  async get(id: string, waitMs = 0): Promise<QueryRun | undefined> {
    const entry = this.runs.get(id);
    if (!entry) return undefined;
    if (entry.run.state === 'running' && waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([entry.done, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
    return entry.run;
  }
}
