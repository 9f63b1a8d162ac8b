/** The projections replay and rebuild can drive: names only, so the CLI's `--help` reads them without loading replay. */
export const PROJECTIONS = ['state', 'anomaly', 'lake'] as const;
export type ProjectionName = (typeof PROJECTIONS)[number];

export function isProjectionName(value: string): value is ProjectionName {
  return (PROJECTIONS as readonly string[]).includes(value);
}
