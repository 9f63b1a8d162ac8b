/**
 * THE ORACLE (test only): the hand-written mapper the splitter ran before mappings, kept
 * so the property test can show the engine emits byte-identical events. Not production code.
 *
 * DNO LV-feeder smart-meter aggregates, wide format: one row per feeder per
 * half-hour, one event per non-empty measure column (fixtures/real/README.md).
 *
 * Decisions (docs/sources-splitter.md has the reasons):
 * - Header names are matched case-insensitively (NGED `LV_feeder_ID`, SSEN `lv_feeder_id`).
 * - Empty, `""`, `NA`, `N/A` and `null` are missing values: that column has no reading.
 *   A row whose measure columns are all missing is accepted with no readings.
 * - Ids are only unique within one operator, so `substation_id` is qualified by it:
 *   `<DNO alias>-<secondary_substation_id>` (NGED → `NGED-903830`). SSEN reuses
 *   secondary substation numbers under different primaries; its unique substation id is
 *   the first 10 digits of `dataset_id` (the substation's NRN; the last two are the
 *   feeder), so SSEN rows get `SSEN-<dataset_id[0..10]>`.
 * - `ts` is the START of the half-hour. NGED labels a period by its start (first period
 *   00:00), SSEN by its end (first period 00:30): SSEN's labels move back 30 minutes.
 *   Other operators are taken as start-labelled until shown otherwise.
 * - `data_collection_log_timestamp` is UTC in every variant (`+00:00`, `Z`, `.000Z`,
 *   zone-less), whatever source zone is configured for the LV monitor format.
 * - A row with any bad measure (non-numeric, non-finite, out of bounds — the files'
 *   known 50 GWh rows) is rejected whole, so a row is always accepted or quarantined.
 */
import { checkBounds } from '../../../src/shared/bounds.ts';
import { canonicalTs } from '../../../src/shared/event.ts';
import type { CanonicalUnit } from '../../../src/shared/units.ts';
import {
  checkSubstationId,
  clip,
  indexColumns,
  measureOf,
  missing,
  readDecimal,
  SiteCache,
  type EmitReading,
  type Measure,
  type Rejection,
} from '../../../src/producers/splitter/rows.ts';
import { TimestampReader } from '../../../src/producers/splitter/timestamps.ts';

export const DNO_WIDE_COLUMNS = {
  dataset: 'dataset_id',
  alias: 'dno_alias',
  substation: 'secondary_substation_id',
  feeder: 'lv_feeder_id',
  timestamp: 'data_collection_log_timestamp',
} as const;
const NAME_COLUMN = 'secondary_substation_name';

/** The measure columns, each one measurement (named as the column, lower-cased) in its unit. */
export const DNO_MEASURE_COLUMNS: Readonly<Record<string, CanonicalUnit>> = {
  aggregated_device_count_active: 'count',
  primary_consumption_active_import: 'Wh',
  secondary_consumption_active_import: 'Wh',
  total_consumption_active_import: 'Wh',
  aggregated_device_count_reactive: 'count',
  total_consumption_reactive_import: 'VArh',
};

/** Length of one period of these files. */
export const DNO_PERIOD_MS = 30 * 60_000;
/** Operators (upper-cased `dno_alias`) that label a half-hour by its end. */
export const PERIOD_END_LABELLED: ReadonlySet<string> = new Set(['SSEN']);
/** Operators whose unique substation id is a prefix of `dataset_id`, and its length. */
export const SUBSTATION_FROM_DATASET_ID: Readonly<Record<string, number>> = { SSEN: 10 };

const MISSING_MARKERS = new Set(['', 'na', 'n/a', 'null']);

interface MeasureColumn {
  readonly index: number;
  readonly name: string;
  readonly measure: Measure;
}

export class DnoWideMapper {
  readonly format = 'dno_wide' as const;
  private readonly sites = new SiteCache();
  /** Period-end labels shifted to period starts, by label text. */
  private readonly shifted = new Map<string, string>();
  private readonly values: number[] = [];

  private constructor(
    readonly columnCount: number,
    private readonly col: Record<keyof typeof DNO_WIDE_COLUMNS, number>,
    private readonly nameCol: number,
    private readonly measures: readonly MeasureColumn[],
    private readonly times: TimestampReader,
  ) {}

  static forHeader(header: readonly string[]): DnoWideMapper | undefined {
    const col = indexColumns(header, DNO_WIDE_COLUMNS);
    if (!col) return undefined;
    const measures = header.flatMap((name, index) => {
      const unit = DNO_MEASURE_COLUMNS[name];
      return unit ? [{ index, name, measure: measureOf(name, null, unit) }] : [];
    });
    if (measures.length === 0) return undefined;
    // The operators publish these timestamps in UTC, zone or not.
    return new DnoWideMapper(header.length, col, header.indexOf(NAME_COLUMN), measures, new TimestampReader('UTC'));
  }

  map(f: readonly string[], emit: EmitReading): Rejection | undefined {
    const c = this.col;
    const alias = (f[c.alias] as string).trim().toUpperCase();
    if (alias === '') return missing('dno_alias');
    let local = (f[c.substation] as string).trim();
    if (local === '') return missing('secondary_substation_id');
    const prefix = SUBSTATION_FROM_DATASET_ID[alias];
    if (prefix !== undefined) {
      const dataset = (f[c.dataset] as string).trim();
      if (dataset.length < prefix) {
        return {
          reason: 'invalid_field',
          message: `dataset_id ${JSON.stringify(clip(dataset))} is shorter than ${prefix} characters; ${alias} substations are identified by its first ${prefix}`,
        };
      }
      local = dataset.slice(0, prefix);
    }
    const substationId = `${alias}-${local}`;
    const tooLong = checkSubstationId(substationId, prefix === undefined ? 'secondary_substation_id' : 'dataset_id');
    if (tooLong) return tooLong;
    const feeder = (f[c.feeder] as string).trim();
    if (feeder === '') return missing('lv_feeder_id');

    const tsText = f[c.timestamp] as string;
    if (tsText.trim() === '') return missing('data_collection_log_timestamp');
    const time = this.times.read(tsText);
    if (!time.ok) return { reason: 'bad_timestamp', message: `data_collection_log_timestamp ${time.message}` };
    const ts = PERIOD_END_LABELLED.has(alias) ? this.periodStart(tsText, time.ms) : time.ts;

    // Check every measure before emitting any: the row goes whole or not at all.
    const values = this.values;
    values.length = 0;
    for (const m of this.measures) {
      const text = (f[m.index] as string).trim();
      if (MISSING_MARKERS.has(text.toLowerCase())) {
        values.push(NaN);
        continue;
      }
      const value = readDecimal(text, m.name);
      if (typeof value !== 'number') return value;
      const bounds = checkBounds(m.measure.unit, value);
      if (!bounds.ok) return { reason: 'out_of_bounds', message: `${m.name} ${bounds.reason}` };
      values.push(value);
    }

    const name = this.nameCol < 0 ? '' : (f[this.nameCol] as string).trim();
    const site = this.sites.get(substationId, name, feeder);
    for (let i = 0; i < this.measures.length; i++) {
      const value = values[i] as number;
      if (!Number.isNaN(value)) emit(site, (this.measures[i] as MeasureColumn).measure, value, ts);
    }
    return undefined;
  }

  private periodStart(text: string, labelMs: number): string {
    let ts = this.shifted.get(text);
    if (ts === undefined) {
      ts = canonicalTs(labelMs - DNO_PERIOD_MS);
      if (this.shifted.size >= 8192) this.shifted.clear();
      this.shifted.set(text, ts);
    }
    return ts;
  }
}
