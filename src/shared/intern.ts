/**
 * One copy of each recurring string value. `JSON.parse` gives every value a string of its
 * own, so a decoded reading event carried about ten strings that thousands of its
 * neighbours repeat (asset, substation, measurement, unit, source object, times): measured in
 * `up` mid-ingest, ~62,000 live events held 55 MiB of strings, most of the live heap
 * (docs/reliability.md → "Peak memory"). Interning them keeps one copy per value.
 *
 * The table is bounded by clearing it when full: values recur in runs (one file, one
 * substation, one instant), so a cleared table fills again with the current ones at once.
 */
export const INTERN_MAX_ENTRIES = 16_384;

export class StringInterner {
  private readonly table = new Map<string, string>();

  constructor(private readonly maxEntries: number = INTERN_MAX_ENTRIES) {}

  /** The table's copy of `value` (the first one it was given). */
  intern(value: string): string {
    const held = this.table.get(value);
    if (held !== undefined) return held;
    if (this.table.size >= this.maxEntries) this.table.clear();
    this.table.set(value, value);
    return value;
  }

  get size(): number {
    return this.table.size;
  }
}
