/**
 * One substation's way from the model's snapshot to CSV lines: rounding (with its
 * state), the optional per-reading transform, and line building.
 */
import type { SubstationAsset } from './assets.ts';
import { SubstationLines } from './lines.ts';
import type { SubstationSnapshot } from './model.ts';
import {
  FEEDER_MEASURES,
  MonitorRounding,
  readingCount,
  snapshotValues,
  TRANSFORMER_MEASURE,
  type Measure,
  type ReadingTransform,
} from './readings.ts';

export interface LineSink {
  add(line: string): void;
}

/** One substation's path from snapshot to lines, with its rounding state. */
export class SubstationEmitter {
  private readonly lines: SubstationLines;
  private readonly rounding: MonitorRounding;
  private readonly raw: Float64Array;
  private readonly rounded: Float64Array;

  constructor(readonly asset: SubstationAsset) {
    this.lines = new SubstationLines(asset);
    const n = readingCount(asset);
    this.rounding = new MonitorRounding(n);
    this.raw = new Float64Array(n);
    this.rounded = new Float64Array(n);
  }

  /** The snapshot as the monitor reports it, in file order. */
  values(snapshot: SubstationSnapshot): Float64Array {
    return this.rounding.round(snapshotValues(snapshot, this.raw), this.rounded);
  }

  /** Adds the interval's lines to `file`; returns how many. */
  emit(file: LineSink, tsText: string, values: Float64Array): number {
    for (let k = 0; k < values.length; k++) file.add(this.lines.line(tsText, k, values[k] as number));
    return values.length;
  }

  /** As `emit`, each reading through `transform` first. */
  emitTransformed(
    file: LineSink,
    ts: number,
    tsText: string,
    values: Float64Array,
    transform: ReadingTransform,
  ): number {
    const perFeeder = FEEDER_MEASURES.length;
    let added = 0;
    for (let k = 0; k < values.length; k++) {
      const feeder = this.asset.feeders[Math.floor(k / perFeeder)];
      const measure = feeder ? (FEEDER_MEASURES[k % perFeeder] as Measure) : TRANSFORMER_MEASURE;
      const reading = transform({ ts, substation: this.asset, feeder, measure, value: values[k] as number });
      if (reading) {
        file.add(this.lines.lineOf(reading, tsText, ts));
        added++;
      }
    }
    return added;
  }
}
