/**
 * From a snapshot to the rows of the LV load monitor file: which readings a
 * substation reports, in which order, rounded as the monitor reports them.
 */
import type { FeederAsset, SubstationAsset } from './assets.ts';
import type { SubstationSnapshot } from './model.ts';

export type AttributeType = 'feeder' | 'transformer';

/** A reading's `Attribute Type`, `Description` and `Units` as the file spells them. */
export interface Measure {
  readonly attributeType: AttributeType;
  readonly description: string;
  readonly units: string;
}

/** A feeder's rows, in file order. */
export const FEEDER_MEASURES: readonly Measure[] = [
  { attributeType: 'feeder', description: 'L1 Current', units: 'A' },
  { attributeType: 'feeder', description: 'L2 Current', units: 'A' },
  { attributeType: 'feeder', description: 'L3 Current', units: 'A' },
  { attributeType: 'feeder', description: 'L1 Voltage', units: 'V' },
  { attributeType: 'feeder', description: 'L2 Voltage', units: 'V' },
  { attributeType: 'feeder', description: 'L3 Voltage', units: 'V' },
  { attributeType: 'feeder', description: 'Total Active Power', units: 'kW' },
  { attributeType: 'feeder', description: 'Total Reactive Power', units: 'kVAR' },
];

/** The substation's row after its feeders'. */
export const TRANSFORMER_MEASURE: Measure = {
  attributeType: 'transformer',
  description: 'Total Apparent Power',
  units: 'kVA',
};

/** One row of the file, as a later fault injector sees it. */
export interface Reading {
  /** Epoch milliseconds. */
  readonly ts: number;
  readonly substation: SubstationAsset;
  /** Undefined for the transformer's reading. */
  readonly feeder: FeederAsset | undefined;
  readonly measure: Measure;
  readonly value: number;
}

/**
 * A hook between the clean model and the file: return the reading (changed or
 * not), or null to leave the row out. Fault injection plugs in here.
 */
export type ReadingTransform = (reading: Reading) => Reading | null;

/** How many readings a substation reports per interval. */
export function readingCount(asset: SubstationAsset): number {
  return asset.feeders.length * FEEDER_MEASURES.length + 1;
}

/** Every value is reported to one decimal. */
export function round1(x: number): number {
  const r = Math.round(x * 10) / 10;
  return r === 0 ? 0 : r; // never -0
}

/** The snapshot's values in file order, unrounded, into `out` (length `readingCount`). */
export function snapshotValues(snapshot: SubstationSnapshot, out: Float64Array): Float64Array {
  let k = 0;
  for (const f of snapshot.feeders) {
    out[k++] = f.currentA[0];
    out[k++] = f.currentA[1];
    out[k++] = f.currentA[2];
    out[k++] = f.voltageV[0];
    out[k++] = f.voltageV[1];
    out[k++] = f.voltageV[2];
    out[k++] = f.activeKw;
    out[k++] = f.reactiveKvar;
  }
  out[k] = snapshot.apparentKva;
  return out;
}

/**
 * Rounds a substation's values to one decimal, as the monitor reports them.
 * Rounding alone can repeat a quiet series' value several times in a row, which a
 * flatline rule would take for a stuck meter; a real meter's last digit jitters. So
 * when a value would repeat for the `maxRun + 1`-th time it moves 0.1 towards its
 * unrounded side. This is the model's only state: one per substation, fed in time
 * order.
 */
export class MonitorRounding {
  private readonly last: Float64Array;
  private readonly runs: Uint8Array;

  constructor(
    size: number,
    private readonly maxRun = 3,
  ) {
    this.last = new Float64Array(size).fill(Number.NaN);
    this.runs = new Uint8Array(size);
  }

  /** `raw` rounded into `out`. */
  round(raw: Float64Array, out: Float64Array): Float64Array {
    for (let i = 0; i < raw.length; i++) {
      const exact = raw[i] as number;
      let v = round1(exact);
      if (v !== this.last[i]) this.runs[i] = 1;
      else if ((this.runs[i] as number) < this.maxRun) this.runs[i] = (this.runs[i] as number) + 1;
      else {
        v = round1(v + (exact >= v ? 0.1 : -0.1));
        this.runs[i] = 1;
      }
      this.last[i] = v;
      out[i] = v;
    }
    return out;
  }
}
