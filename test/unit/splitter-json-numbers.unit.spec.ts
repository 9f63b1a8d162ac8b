import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/producers/splitter/mapping/compile.ts';
import { MappingSet } from '../../src/producers/splitter/mapping/set.ts';
import { parseMapping } from '../../src/shared/sources/load.ts';
import { run, type RunOptions } from './splitter.support.ts';

/** Wide readings from JSON numbers: one scaled, one as it is, with numeric and non-numeric missing texts. */
const MAPPING = compileMapping(
  parseMapping(
    `
name: numbers_json
recognise: { json: { paths: [site, at] } }
shape: { kind: json, records: $ }
missing: ['', '-999', '-999.0', 'NA']
timestamp: { from: at }
site:
  substation_id: { path: site, required: true }
readings:
  - { from: kwh, measurement: energy_import, unit: Wh, scale: 1000 }
  - { from: volts, measurement: l1_voltage, phase: L1, unit: V }
`,
    'test',
  ),
);
const options: RunOptions = { shape: 'json', mappings: new MappingSet([MAPPING], MAPPING.units) };

/** The split of the records, the readings' values written as JSON numbers or as the same numbers' texts. */
async function splitBoth(values: readonly (readonly [unknown, unknown])[]) {
  const doc = (asText: boolean): string =>
    JSON.stringify(
      values.map(([kwh, volts]) => ({
        site: 'S1',
        at: '2025-03-01T00:00:00Z',
        kwh: asText && typeof kwh === 'number' ? String(kwh) : kwh,
        volts: asText && typeof volts === 'number' ? String(volts) : volts,
      })),
      null,
      1,
    );
  const numbers = await run(doc(false), options);
  const texts = await run(doc(true), options);
  const judged = (r: typeof numbers) => ({
    events: r.events,
    summary: r.summary,
    entries: r.entries.map((e) => [e.line, e.reason, e.message]),
  });
  return { numbers: judged(numbers), texts: judged(texts) };
}

describe('a JSON number read as a reading value without a round trip through text', () => {
  it('reads as its text would: -0, a missing text that is a number’s own text, bounds, scale', async () => {
    const { numbers, texts } = await splitBoth([
      [1.25, 230.5],
      [-0, 0],
      [-999, -999.0], // '-999' is missing text; -999.0 is written -999 as well
      [1e-7, 5e-324], // texts with exponents
      [12, 1e9], // out of the voltage bounds: the record is rejected
      [null, true],
    ]);
    expect(numbers).toEqual(texts);
    expect(numbers.events.map((e) => [e.measurement, e.value])).toEqual([
      ['energy_import', 1250],
      ['l1_voltage', 230.5],
      ['energy_import', 0],
      ['l1_voltage', 0],
      ['energy_import', 1e-7 * 1000],
      ['l1_voltage', 5e-324],
    ]);
    expect(numbers.entries.map(([, reason]) => reason)).toEqual(['out_of_bounds', 'non_numeric']);
  });

  it('gives the same events and entries as the numbers’ texts, for any doubles', async () => {
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -2000, max: 2000 }),
      fc.constantFrom(-999, -0, 0, 999.5, 1e21),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(value, value), { minLength: 1, maxLength: 6 }), async (values) => {
        const { numbers, texts } = await splitBoth(values);
        expect(numbers).toEqual(texts);
      }),
      { numRuns: 100 },
    );
  });
});
