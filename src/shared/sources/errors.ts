/**
 * What is wrong with a mapping, said so a person can fix it: where in the file (a path
 * such as `site.substation_id.regex`, and the line when the file is YAML/JSON text), what is
 * wrong, and what was expected.
 */
export interface MappingProblem {
  /** Dotted path inside the mapping (`readings[2].unit`); '' for the whole file. */
  readonly path: string;
  /** 1-based line in the file, when known. */
  readonly line?: number | undefined;
  readonly problem: string;
  readonly expected?: string | undefined;
}

export function describeProblem(p: MappingProblem): string {
  const where = p.path === '' ? '(top level)' : p.path;
  const line = p.line === undefined ? '' : ` (line ${p.line})`;
  const expected = p.expected === undefined ? '' : `; expected ${p.expected}`;
  return `${where}${line}: ${p.problem}${expected}`;
}

/** A mapping that does not pass the schema check or the compile check. */
export class MappingError extends Error {
  override name = 'MappingError';
  constructor(
    /** The file (or `builtin:NAME`, an S3 URL) the mapping came from. */
    readonly origin: string,
    readonly problems: readonly MappingProblem[],
    options?: ErrorOptions,
  ) {
    super(
      `mapping ${origin} is invalid: ${problems
        .slice(0, 5)
        .map(describeProblem)
        .join(' | ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
      options,
    );
  }
}
