/** Running the shared named queries on any engine, with `--param k=v` parsing. */
import {
  bindValues,
  isNamedQuery,
  NAMED_QUERIES,
  QueryParameterError,
  type NamedQueryName,
} from '../../shared/queries.ts';
import type { QueryResult, SqlEngine } from './result.ts';

export function namedQuery(name: string) {
  if (!isNamedQuery(name))
    throw new QueryParameterError(
      `no named query ${JSON.stringify(name)} (known: ${Object.keys(NAMED_QUERIES).join(', ')})`,
    );
  return NAMED_QUERIES[name];
}

export function runNamed(
  engine: SqlEngine,
  name: NamedQueryName | string,
  params: Readonly<Record<string, string>>,
): Promise<QueryResult> {
  const query = namedQuery(name);
  return engine.run(query.sql, bindValues(query, params));
}

/** `["year=2025", "month=08"]` → `{ year: "2025", month: "08" }`; a key given twice is an error. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new QueryParameterError(`--param takes key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq).trim();
    if (Object.hasOwn(out, key)) throw new QueryParameterError(`--param ${key} is given twice`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

/** `2025-08` → the year and month parameters every month-scoped named query takes. */
export function monthParams(month: string): { year: string; month: string } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new QueryParameterError(`a month is YYYY-MM, got ${JSON.stringify(month)}`);
  return { year: m[1] as string, month: m[2] as string };
}
