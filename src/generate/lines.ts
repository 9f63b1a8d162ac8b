/**
 * CSV lines of the LV load monitor format, built cheaply: everything but the
 * timestamp and the value is assembled once per asset.
 */
import { csvField, type SubstationAsset } from './assets.ts';
import { FEEDER_MEASURES, TRANSFORMER_MEASURE, type Measure, type Reading } from './readings.ts';

/** A value to one decimal, without `toFixed`'s cost or its `-0.0`. */
export function formatValue(value: number): string {
  let n = Math.round(value * 10);
  if (n === 0) return '0.0';
  const sign = n < 0 ? '-' : '';
  if (n < 0) n = -n;
  const tenths = n % 10;
  return `${sign}${(n - tenths) / 10}.${tenths}`;
}

/** `2025-08-14T15:00:00Z`. */
export function formatTimestamp(ts: number): string {
  return `${new Date(ts).toISOString().slice(0, 19)}Z`;
}

/** The fixed parts of one substation's lines. */
export class SubstationLines {
  /** `LV100001,Mill Road,` */
  private readonly head: string;
  /** Per reading in file order: `,feeder,01,L1 Current,A,` … `,transformer,,Total Apparent Power,kVA,` */
  private readonly tails: readonly string[];

  constructor(readonly asset: SubstationAsset) {
    this.head = `${csvField(asset.substationNumber)},${csvField(asset.substationName)},`;
    this.tails = [
      ...asset.feeders.flatMap((f) => FEEDER_MEASURES.map((m) => tail(m, f.feederId))),
      tail(TRANSFORMER_MEASURE, ''),
    ];
  }

  /** The line of reading `index` (file order) at `tsText`. */
  line(tsText: string, index: number, value: number): string {
    return `${this.head}${tsText}${this.tails[index]}${formatValue(value)}\n`;
  }

  /** The line of a reading that may have been changed by a transform. */
  lineOf(reading: Reading, tsText: string, tsOfText: number): string {
    const ts = reading.ts === tsOfText ? tsText : formatTimestamp(reading.ts);
    const s = reading.substation;
    const head = s === this.asset ? this.head : `${csvField(s.substationNumber)},${csvField(s.substationName)},`;
    return `${head}${ts}${tail(reading.measure, reading.feeder?.feederId ?? '')}${formatValue(reading.value)}\n`;
  }
}

function tail(m: Measure, feederId: string): string {
  return `,${m.attributeType},${csvField(feederId)},${csvField(m.description)},${csvField(m.units)},`;
}
