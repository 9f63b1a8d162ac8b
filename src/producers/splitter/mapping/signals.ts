/**
 * Arrays of name/value signals (seed 004's `signals: [{name, body: "{\"value\": …}"}]`)
 * as one reading per declared signal: each becomes a wide reading whose path selects
 * the signal by its name (`signals[name=IsCharging].body.value`, json-accessor.ts), so
 * the mapping engine needs nothing of its own for them. A signal a record does not
 * carry is a missing value: no reading, as an empty column of a wide row. Signals not
 * declared are not read at all.
 */
import type { SignalReadings, WideReading } from '../../../shared/sources/mapping.ts';

/** The wide readings a `signals` block stands for, in the order it declares them. */
export function signalReadings(spec: SignalReadings): WideReading[] {
  return Object.entries(spec.signals).map(([name, s]) => ({
    ...s,
    from: `${spec.path}[${spec.name}=${name}].${spec.value}`,
    measurement: s.measurement ?? signalMeasurement(name),
  }));
}

/** `TraveledDistance` → `traveled_distance`: a measurement slug from a signal's name. */
export function signalMeasurement(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}
