/**
 * The columns of `assets.csv`, the asset registry file: written by `dubegrid generate`,
 * loaded by the registry consumer, recognised by `ingest` (which routes such a file to
 * the registry). Their one definition, here, so production code never reads the
 * test-data generator for a schema.
 */

/** The header `dubegrid generate` writes, in order. */
export const ASSETS_CSV_COLUMNS = [
  'substation_number',
  'substation_name',
  'feeder_id',
  'transformer_kva',
  'feeder_rated_current_a',
  'has_generation',
  'latitude',
  'longitude',
  // optional, last so older files (and the Glue table's positional columns) keep their places
  'interval_minutes',
] as const;

export type AssetsCsvColumn = (typeof ASSETS_CSV_COLUMNS)[number];

/** The columns that make a CSV an assets file (the others are optional); ingest routes a file to the registry by them. */
export const ASSETS_REQUIRED_COLUMNS = [
  'substation_number',
  'feeder_id',
  'transformer_kva',
  'feeder_rated_current_a',
  'has_generation',
] as const satisfies readonly AssetsCsvColumn[];
