/**
 * What running SQL returns on either target, in one JSON-safe shape: numbers as
 * numbers (64-bit integers too, while exact), timestamps in the contract's canonical
 * form, dates as `YYYY-MM-DD`.
 */
export type Cell = string | number | boolean | null;

export interface ResultColumn {
  readonly name: string;
  /** The engine's type name, lower case (`bigint`, `double`, `varchar`, `timestamp`, …). */
  readonly type: string;
}

export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface SqlEngine {
  readonly target: 'local' | 'aws';
  /** Runs one statement; `params` bind its `?` placeholders in order. */
  run(sql: string, params?: readonly string[]): Promise<QueryResult>;
  close(): Promise<void>;
}

/** A statement the engine refused or failed: the message is one line, as the engine put it. */
export class QueryError extends Error {
  override name = 'QueryError';
}

/** Rows as objects keyed by column name (the `--json` form). */
export function rowObjects(result: QueryResult): Record<string, Cell>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i] ?? null])));
}

/** The first meaningful line of an engine's message, with a "did you mean" hint kept. */
export function oneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const kept: string[] = [];
  for (const l of lines) {
    if (/^LINE \d+:/.test(l) || l === '^') break;
    kept.push(l);
  }
  return (kept.length ? kept : lines.slice(0, 1)).join(' ');
}
