import { describe, expect, it } from 'vitest';
import {
  compileJsonPath,
  jsonAccessor,
  JsonPathError,
  parseJsonPath,
} from '../../src/producers/splitter/mapping/json-accessor.ts';

/** Seed 004's record shape (chargeminder telemetry): nested objects, a name/value signal array, JSON-string bodies. */
const TELEMETRY = {
  event_id: 'abc-123',
  recorded_at: '2025-08-14 15:00:00',
  vehicle: { id: 'veh-1', make: 'Tesla', model: 'Model 3', year: 2023 },
  meta: { signalCount: 2, deliveredAt: 1755183600000, 'dotted.key': 'yes' },
  signals: [
    { name: 'IsCharging', group: 'Charge', body: '{"value": true}' },
    { name: 'TraveledDistance', group: 'Odometer', body: '{"value": 12345.67, "unit": "km"}' },
    { name: 'PreciseLocation', group: 'Location', body: '{"latitude": 51.5014, "longitude": -0.1419}' },
  ],
  empty: null,
};

const field = (path: string, record: unknown = TELEMETRY, doc?: unknown): string | undefined =>
  jsonAccessor(doc).field(path)?.(record);

describe('JSON record accessor', () => {
  it('flattens nested objects by path, giving numbers and booleans as their JSON text', () => {
    expect(field('event_id')).toBe('abc-123');
    expect(field('vehicle.make')).toBe('Tesla');
    expect(field('vehicle.year')).toBe('2023');
    expect(field('$.vehicle.id')).toBe('veh-1');
    expect(field('meta["dotted.key"]')).toBe('yes');
    expect(field('meta.deliveredAt')).toBe('1755183600000');
  });

  it('selects from name/value signal arrays by a field, and by index', () => {
    expect(field('signals[name=IsCharging].group')).toBe('Charge');
    expect(field('signals[1].name')).toBe('TraveledDistance');
    expect(field('signals[name=Nope].group')).toBeUndefined();
    expect(field('signals[7].name')).toBeUndefined();
  });

  it('parses a field holding a JSON string when the path goes on into it', () => {
    expect(field('signals[name=IsCharging].body.value')).toBe('true');
    expect(field('signals[name=TraveledDistance].body.value')).toBe('12345.67');
    expect(field('signals[name=TraveledDistance].body.unit')).toBe('km');
    expect(field('signals[name=PreciseLocation].body.latitude')).toBe('51.5014');
    // the string itself, when the path ends on it
    expect(field('signals[0].body')).toBe('{"value": true}');
    // a string that is not JSON has no fields
    expect(field('event_id.value')).toBeUndefined();
    expect(field('signals[0].body.value', { signals: [{ body: '{"value": tru' }] })).toBeUndefined();
  });

  it('reads missing fields, nulls and non-objects as absent', () => {
    expect(field('nope')).toBeUndefined();
    expect(field('vehicle.nope.deeper')).toBeUndefined();
    expect(field('empty')).toBeUndefined();
    expect(field('event_id', 42)).toBeUndefined();
    expect(field('vehicle')).toBe(JSON.stringify(TELEMETRY.vehicle));
  });

  it('reads $doc paths from the document metadata, the same for every record', () => {
    const doc = { site: { id: 'S-9' }, unit: 'kWh' };
    expect(field('$doc.site.id', {}, doc)).toBe('S-9');
    expect(field('$doc.unit', TELEMETRY, doc)).toBe('kWh');
    expect(field('$doc.nope', TELEMETRY, doc)).toBeUndefined();
    expect(compileJsonPath('$doc.site', doc)({})).toEqual({ id: 'S-9' });
  });

  it('refuses paths it cannot read, saying where', () => {
    expect(parseJsonPath('a.b[name=x].c[2]')).toEqual({
      document: false,
      steps: [{ key: 'a' }, { key: 'b' }, { where: 'name', equals: 'x' }, { key: 'c' }, { index: 2 }],
    });
    expect(() => parseJsonPath('a..b')).toThrow(JsonPathError);
    expect(() => parseJsonPath('a..b')).toThrow('path "a..b": an empty key at character 3');
    expect(() => parseJsonPath('a[x')).toThrow('"[" is not closed');
    expect(() => parseJsonPath('a[x]')).toThrow('"[x]" is neither an index, a "quoted key" nor field=value');
    expect(() => parseJsonPath('a.')).toThrow('a path may not end with "."');
    expect(() => parseJsonPath('$')).toThrow('an empty path');
  });
});
