/**
 * An item of the asset registry (the `assets` table): written by the registry
 * consumer, read by the anomaly consumer's rules, `dubegrid assets` and the lake's
 * `assets` view. Here because it is the contract between them, and consumers never
 * import each other.
 *
 * `assets.csv` has one row per feeder; the loader stores an item per feeder
 * (`<substation>:<feeder>`, as `assetIdOf` spells feeder readings' assets) and one
 * per substation (`<substation>`, the transformer's readings), so every reading finds
 * its asset by its own `asset_id`. A mapping's reference file (`consumers/registry/mapped.ts`)
 * sets names and locations only, and creates an asset it does not know without a rating.
 */
export interface AssetItem {
  readonly asset_id: string;
  readonly kind: 'substation' | 'feeder';
  readonly substation_id: string;
  readonly substation_name: string;
  /** Empty for a substation. */
  readonly feeder_id: string;
  /** Absent for an asset known only from a mapping's reference file (no rating is invented). */
  readonly transformer_kva?: number;
  /** Per-phase rated current; feeders only. */
  readonly rated_current_a?: number;
  /** A feeder with generation behind it; for a substation, any of its feeders. */
  readonly has_generation?: boolean;
  /**
   * The interval the monitor was set to report at, minutes: overrides the observed cadence
   * in the one definition of "expected" (`shared/expected.ts`). A substation's is the
   * shortest given on any of its rows.
   */
  readonly interval_minutes?: number;
  readonly latitude?: number;
  readonly longitude?: number;
  /** Substations: how many feeders the registry lists. */
  readonly feeders?: number;
  readonly source_key: string;
  readonly loaded_at: string;
}
