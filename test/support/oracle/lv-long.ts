/**
 * THE ORACLE (test only): the hand-written mapper the splitter ran before mappings, kept
 * so the property test can show the engine emits byte-identical events. Not production code.
 *
 * LV load monitor, long format: one row per reading.
 *
 * `Substation Number, Substation Name, Timestamp, Attribute Type, Feeder ID,
 * Description, Units, Value` (header matched case-insensitively, any column order).
 *
 * Mapping (documented in docs/sources-splitter.md):
 * - `substation_id` = Substation Number, `substation_name` = Substation Name (may be
 *   empty), both trimmed, leading zeros kept.
 * - Attribute Type `feeder` → `feeder_id` = Feeder ID (required), `asset_id` =
 *   `<substation>:<feeder>`; `transformer` → substation-wide: Feeder ID must be empty,
 *   `feeder_id` = '', `asset_id` = `<substation>`.
 * - Description `L1|L2|L3|N` + `Current|Voltage|Active Power|Reactive Power|Apparent
 *   Power|Power Factor` → `measurement` `l1_current` …, `phase` `L1` …; `Total Active
 *   Power|Total Reactive Power|Total Apparent Power` → `total_active_power` …, `phase`
 *   null. Matched case-insensitively, runs of spaces as one.
 * - Units through `canonicalUnit`, and it must be the description's unit (A, V, kW,
 *   kVAr, kVA, pf); Power Factor may leave Units empty.
 * - Timestamp through the reader (zone-less = the configured source zone).
 * - Value: a finite decimal inside the bounds table.
 */
import { checkBounds } from '../../../src/shared/bounds.ts';
import type { Phase } from '../../../src/shared/event.ts';
import { canonicalUnit, type CanonicalUnit } from '../../../src/shared/units.ts';
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
import type { TimestampReader } from '../../../src/producers/splitter/timestamps.ts';

export const LV_LONG_COLUMNS = {
  substation: 'substation number',
  name: 'substation name',
  timestamp: 'timestamp',
  attribute: 'attribute type',
  feeder: 'feeder id',
  description: 'description',
  units: 'units',
  value: 'value',
} as const;

const PHASE_QUANTITIES: Readonly<Record<string, CanonicalUnit>> = {
  current: 'A',
  voltage: 'V',
  'active power': 'kW',
  'reactive power': 'kVAr',
  'apparent power': 'kVA',
  'power factor': 'pf',
};
const TOTALS: Readonly<Record<string, CanonicalUnit>> = {
  'total active power': 'kW',
  'total reactive power': 'kVAr',
  'total apparent power': 'kVA',
};

/** Normalised description → what it measures: the whole vocabulary. */
export const LV_DESCRIPTIONS: ReadonlyMap<string, Measure> = (() => {
  const out = new Map<string, Measure>();
  for (const phase of ['L1', 'L2', 'L3', 'N'] as const satisfies readonly Phase[]) {
    for (const [quantity, unit] of Object.entries(PHASE_QUANTITIES)) {
      out.set(
        `${phase.toLowerCase()} ${quantity}`,
        measureOf(`${phase.toLowerCase()}_${quantity.replace(' ', '_')}`, phase, unit),
      );
    }
  }
  for (const [description, unit] of Object.entries(TOTALS))
    out.set(description, measureOf(description.replace(/ /g, '_'), null, unit));
  return out;
})();

const normalise = (text: string): string => text.trim().toLowerCase().replace(/\s+/g, ' ');

export class LvLongMapper {
  readonly format = 'lv_long' as const;
  readonly columnCount = 8;
  private readonly sites = new SiteCache();
  private readonly measures = new Map<string, Measure | null>();
  private readonly units = new Map<string, CanonicalUnit | null>();

  private constructor(
    private readonly col: Record<keyof typeof LV_LONG_COLUMNS, number>,
    private readonly times: TimestampReader,
  ) {}

  /** A mapper when the header is this format's, else undefined. */
  static forHeader(header: readonly string[], times: TimestampReader): LvLongMapper | undefined {
    if (header.length !== 8) return undefined;
    const col = indexColumns(header, LV_LONG_COLUMNS);
    return col ? new LvLongMapper(col, times) : undefined;
  }

  map(f: readonly string[], emit: EmitReading): Rejection | undefined {
    const c = this.col;
    const substation = (f[c.substation] as string).trim();
    if (substation === '') return missing('Substation Number');
    const tooLong = checkSubstationId(substation, 'Substation Number');
    if (tooLong) return tooLong;
    const feederText = (f[c.feeder] as string).trim();
    const attributeText = f[c.attribute] as string;
    const attribute =
      attributeText === 'feeder' || attributeText === 'transformer'
        ? attributeText
        : attributeText.trim().toLowerCase();
    let feeder: string;
    if (attribute === 'feeder') {
      if (feederText === '') return missing('Feeder ID (Attribute Type is feeder)');
      feeder = feederText;
    } else if (attribute === 'transformer') {
      if (feederText !== '')
        return {
          reason: 'invalid_field',
          message: `a transformer row carries Feeder ID ${JSON.stringify(clip(feederText))}; transformer readings are substation-wide`,
        };
      feeder = '';
    } else if (attribute === '') {
      return missing('Attribute Type');
    } else {
      return {
        reason: 'invalid_field',
        message: `Attribute Type ${JSON.stringify(clip(attribute))} is neither feeder nor transformer`,
      };
    }

    const descriptionText = f[c.description] as string;
    let measure = this.measures.get(descriptionText);
    if (measure === undefined) {
      measure = LV_DESCRIPTIONS.get(normalise(descriptionText)) ?? null;
      this.measures.set(descriptionText, measure);
    }
    if (measure === null) {
      if (descriptionText.trim() === '') return missing('Description');
      return {
        reason: 'invalid_field',
        message: `Description ${JSON.stringify(clip(descriptionText))} is not in the LV monitor vocabulary`,
      };
    }

    const unitsText = f[c.units] as string;
    let unit = this.units.get(unitsText);
    if (unit === undefined) {
      unit = canonicalUnit(unitsText) ?? null;
      this.units.set(unitsText, unit);
    }
    if (unit === null) {
      if (unitsText.trim() !== '')
        return { reason: 'unknown_unit', message: `Units ${JSON.stringify(clip(unitsText))} is not a known unit` };
      if (measure.unit !== 'pf') return missing('Units');
      unit = 'pf';
    }
    if (unit !== measure.unit) {
      return {
        reason: 'unit_mismatch',
        message: `${descriptionText.trim()} is measured in ${measure.unit}, not ${unitsText.trim()}`,
      };
    }

    const tsText = f[c.timestamp] as string;
    if (tsText.trim() === '') return missing('Timestamp');
    const time = this.times.read(tsText);
    if (!time.ok) return { reason: 'bad_timestamp', message: `Timestamp ${time.message}` };

    const valueText = (f[c.value] as string).trim();
    if (valueText === '') return missing('Value');
    const value = readDecimal(valueText, 'Value');
    if (typeof value !== 'number') return value;
    const bounds = checkBounds(unit, value);
    if (!bounds.ok) return { reason: 'out_of_bounds', message: `Value ${bounds.reason}` };

    emit(this.sites.get(substation, (f[c.name] as string).trim(), feeder), measure, value, time.ts);
    return undefined;
  }
}
