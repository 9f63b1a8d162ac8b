/** Running the shared named queries on any engine, with `--param k=v` parsing and defaults from the data. */
import {
  bindValues,
  isNamedQuery,
  MONTH_PARAMETERS,
  NAMED_QUERIES,
  NAMED_QUERY_ALIASES,
  QueryParameterError,
  type NamedQuery,
  type NamedQueryName,
} from '../../shared/queries.ts';
import { monthFactsCurrent, type RollupStore } from '../../lake/rollups/built.ts';
import type { QueryResult, SqlEngine } from './result.ts';

export function namedQuery(name: string): NamedQuery {
  const resolved = NAMED_QUERY_ALIASES[name] ?? name;
  if (!isNamedQuery(resolved))
    throw new QueryParameterError(
      `no named query ${JSON.stringify(name)} (known: ${Object.keys(NAMED_QUERIES).join(', ')}; see \`dubegrid query --list\`)`,
    );
  return NAMED_QUERIES[resolved];
}

/** Whether the month's fact layer is current (`monthFactsCurrent`), asked before running a query that reads it. */
export type FactsCurrent = (year: string, month: string) => Promise<boolean>;

/** The check over a target's bucket. */
export const factsCurrentIn =
  (store: RollupStore): FactsCurrent =>
  (year, month) =>
    monthFactsCurrent(store, year, month);

/**
 * The form of a named query to run now: one that reads the fact layer runs as itself when
 * the month's facts are current, else as its readings form (`fallback`: the same answer,
 * slower). Without a `factsCurrent` nothing is known, so the readings form, always right.
 * The parameters are checked first: the check lists the month's objects.
 */
export async function formToRun(
  query: NamedQuery,
  params: Readonly<Record<string, string>>,
  factsCurrent?: FactsCurrent,
): Promise<NamedQuery> {
  bindValues(query, params);
  if (!query.fallback) return query;
  const { year, month } = params;
  const current = factsCurrent && year !== undefined && month !== undefined && (await factsCurrent(year, month));
  return current ? query : query.fallback;
}

export async function runNamed(
  engine: SqlEngine,
  name: NamedQueryName | string,
  params: Readonly<Record<string, string>>,
  factsCurrent?: FactsCurrent,
): Promise<QueryResult> {
  const form = await formToRun(namedQuery(name), params, factsCurrent);
  return engine.run(form.sql, bindValues(form, params));
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

/** `--param month=2025-08` (the form the report takes) stands for year=2025 and month=08. */
export function withMonthShorthand(params: Record<string, string>): Record<string, string> {
  const month = params.month;
  if (month === undefined || params.year !== undefined || !/^\d{4}-\d{2}$/.test(month)) return params;
  return { ...params, ...monthParams(month) };
}

/** What the data can tell about a parameter left out. */
export interface ParameterLookups {
  /** The latest `YYYY-MM` in the lake. */
  latestMonth(): Promise<string | undefined>;
  /** One feeder of the month, for a hint naming an asset that exists. */
  exampleAsset(year: string, month: string): Promise<{ substation_id: string; feeder_id: string } | undefined>;
}

export interface CompletedParams {
  readonly values: Record<string, string>;
  /** Parameters taken from the data, with the value used. */
  readonly defaulted: Record<string, string>;
}

/**
 * Fills what the data decides: a month left out is the latest month in the lake (the
 * sample's, after `npm start`). An asset left out is not guessed (a wrong asset would
 * answer a different question); the error names one that exists, as a command that runs.
 */
export async function completeParams(
  query: NamedQuery,
  given: Readonly<Record<string, string>>,
  lookups: ParameterLookups,
): Promise<CompletedParams> {
  const values = withMonthShorthand({ ...given });
  const defaulted: Record<string, string> = {};
  const takesMonth = MONTH_PARAMETERS.every((p) => query.parameters.some((q) => q.name === p));
  if (takesMonth && values.year === undefined && values.month === undefined) {
    const latest = await lookups.latestMonth();
    if (!latest)
      throw new QueryParameterError(
        `${query.name} reads one month and the lake holds none yet: ingest data first, or give --param month=YYYY-MM`,
      );
    Object.assign(values, monthParams(latest));
    defaulted.month = latest;
  }
  const missing = query.parameters.filter((p) => values[p.name] === undefined).map((p) => p.name);
  if (missing.length && values.year !== undefined && values.month !== undefined) {
    const asset = await lookups.exampleAsset(values.year, values.month);
    if (asset) {
      const example = { ...asset, ...values };
      const args = query.parameters
        .filter((p) => !MONTH_PARAMETERS.includes(p.name))
        .map((p) => `--param ${p.name}=${shellWord(example[p.name as keyof typeof example] ?? '')}`);
      throw new QueryParameterError(
        `${query.name} needs ${missing.map((m) => `--param ${m}=…`).join(' ')}, e.g. ` +
          `\`npx dubegrid query --named ${query.name} --param month=${values.year}-${values.month} ${args.join(' ')}\``,
      );
    }
  }
  return { values, defaulted };
}

const shellWord = (s: string): string => (/^[\w.:/@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
