/**
 * Wrong mappings are refused whole, each problem named by its path inside the mapping
 * (and its line, where the loader knows it), what is wrong and what was expected.
 */
import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/producers/splitter/mapping/compile.ts';
import { MappingSet } from '../../src/producers/splitter/mapping/set.ts';
import { MappingError, type MappingProblem } from '../../src/shared/sources/errors.ts';
import { parseMapping } from '../../src/shared/sources/load.ts';

const BASE = `name: t_map
recognise: { csv: { columns: [Site, Time, Value] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
site: { substation_id: Site }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value } }
`;

/** The problems a mapping is refused with, at the stage that refuses it. */
function refusal(text: string): { stage: 'parse' | 'compile'; problems: MappingProblem[]; message: string } {
  let stage: 'parse' | 'compile' = 'parse';
  try {
    const loaded = parseMapping(text, 'bad.yaml');
    stage = 'compile';
    compileMapping(loaded);
  } catch (err) {
    if (!(err instanceof MappingError)) throw err;
    return { stage, problems: [...err.problems], message: err.message };
  }
  throw new Error('the mapping was accepted');
}

const UNITS = 'V, A, kW, kVAr, kVA, Wh, VArh, count, pf';

describe('the schema check (parseMapping)', () => {
  it('refuses a name that is not a slug, saying what a slug looks like', () => {
    const r = refusal(BASE.replace('name: t_map', 'name: Bad Name'));
    expect(r.stage).toBe('parse');
    expect(r.message).toBe(
      'mapping bad.yaml is invalid: name (line 1): string "Bad Name" does not match ^[a-z][a-z0-9_]*$; expected a lower-case slug such as acme_meters',
    );
  });

  it('refuses an unknown key at its own line, listing the keys allowed', () => {
    const r = refusal(`${BASE}colour: blue\n`);
    expect(r.problems).toEqual([
      {
        path: 'colour',
        line: 7,
        problem: 'is not a key of this object',
        expected:
          'one of $schema, name, description, recognise, shape, missing, reject, timestamp, vars, branches, site, reading, readings, signals, lookups, units, reference',
      },
    ]);
  });

  it('refuses a value of the wrong type', () => {
    const r = refusal(BASE.replace('shape: { kind: csv }', 'shape: { kind: csv }\nreject: 3'));
    expect(r.problems).toEqual([
      { path: 'reject', line: 4, problem: 'is number 3', expected: 'one of "row", "reading"' },
    ]);
  });

  it('refuses a mapping without site', () => {
    const r = refusal(BASE.replace('site: { substation_id: Site }\n', ''));
    expect(r.problems).toEqual([{ path: 'site', line: 1, problem: 'is missing', expected: 'it to be present' }]);
  });

  it('refuses two of reading, readings and signals', () => {
    const r = refusal(`${BASE}readings: [{ from: Value, measurement: l1_current, unit: A }]\n`);
    expect(r.problems).toEqual([
      { path: '', line: 1, problem: 'has none or several of reading, readings, signals', expected: 'exactly one' },
    ]);
  });

  it('refuses an unknown shape kind, listing every kind', () => {
    const r = refusal(BASE.replace('kind: csv', 'kind: xml'));
    expect(r.problems).toEqual([
      { path: 'shape.kind', line: 3, problem: 'is string "xml"', expected: 'one of "csv", "json", "ndjson"' },
    ]);
  });

  it('refuses a JSON shape without its records path', () => {
    const r = refusal(BASE.replace('kind: csv', 'kind: json'));
    expect(r.problems).toEqual([
      { path: 'shape.records', line: 3, problem: 'is missing', expected: 'it to be present' },
    ]);
  });

  it('refuses a period that is not a duration', () => {
    const r = refusal(BASE.replace('zone: UTC', 'zone: UTC, label: end, period: 7q'));
    expect(r.problems).toEqual([
      {
        path: 'timestamp.period',
        line: 4,
        problem: 'string "7q" does not match ^[1-9][0-9]*(s|m|h|d)$',
        expected: 'a duration such as 30m, 1h, 1d',
      },
    ]);
  });

  it('names the one wrong key inside an expression, not every alternative it did not mean', () => {
    const reason = refusal(
      BASE.replace(
        'substation_id: Site',
        "substation_id: { regex: '(?<n>.)', from: Site, unmatched: { reason: oops, message: m } }",
      ),
    );
    expect(reason.problems).toEqual([
      {
        path: 'site.substation_id.unmatched.reason',
        line: 5,
        problem: 'is string "oops"',
        expected: 'one of "missing_field", "invalid_field", "unit_mismatch", "out_of_bounds", "bad_timestamp"',
      },
    ]);
    const slice = refusal(BASE.replace('substation_id: Site', 'substation_id: { column: Site, slice: [a, 2] }'));
    expect(slice.problems).toEqual([
      { path: 'site.substation_id.slice[0]', line: 5, problem: 'is string "a"', expected: 'an integer' },
    ]);
  });

  it('refuses a value written as a bare expression, listing the keys a value takes', () => {
    const r = refusal(BASE.replace('value: { from: Value }', 'value: { column: Value }'));
    expect(r.problems).toEqual([
      { path: 'reading.value.from', line: 6, problem: 'is missing', expected: 'it to be present' },
      {
        path: 'reading.value.column',
        line: 6,
        problem: 'is not a key of this object',
        expected: 'one of from, scale, boolean',
      },
    ]);
  });

  it('refuses text that is not YAML, and a key written twice, at their line', () => {
    expect(refusal(`${BASE}x: [\n`).problems).toEqual([
      {
        path: '',
        line: 8,
        problem:
          'is not valid YAML or JSON: Flow sequence in block collection must be sufficiently indented and end with a ]',
      },
    ]);
    expect(refusal(`${BASE}name: other\n`).problems).toEqual([
      { path: '', line: 7, problem: 'is not valid YAML or JSON: Map keys must be unique' },
    ]);
  });
});

describe('the compile check (compileMapping)', () => {
  it('checks the reference block like any other expression (it feeds the asset registry)', () => {
    const r = refusal(`${BASE}reference:\n  substation_name: Site\n  latitude: { var: lat }\n`);
    expect(r.stage).toBe('compile');
    expect(r.problems).toEqual([
      {
        path: 'reference.latitude.var',
        problem: 'names the variable "lat", which is not defined before it',
        expected: 'one of (no variables) (vars are defined in order)',
      },
    ]);
  });

  it('refuses a lookup no table defines', () => {
    const r = refusal(BASE.replace('{ const: l1_current }', '{ lookup: ch, from: Site, get: measurement }'));
    expect(r.stage).toBe('compile');
    expect(r.problems).toEqual([
      {
        path: 'reading.measurement.lookup',
        problem: 'names the table "ch", which lookups does not define',
        expected: 'one of (no lookups)',
      },
    ]);
  });

  it('refuses asking a lookup for a field none of its entries has', () => {
    const r = refusal(
      `${BASE.replace('{ const: l1_current }', '{ lookup: ch, from: Site, get: nope }')}lookups:\n  ch:\n    entries:\n      a: { measurement: l1_current }\n`,
    );
    expect(r.problems).toEqual([
      {
        path: 'reading.measurement.get',
        problem: 'asks for "nope", which no entry of lookup ch has',
        expected: 'one of measurement',
      },
    ]);
  });

  it('refuses a variable used before it is defined, in vars and in a branch', () => {
    const vars = refusal(
      BASE.replace(
        'site: { substation_id: Site }',
        'vars:\n  a: { var: b }\n  b: { const: x }\nsite: { substation_id: Site }',
      ),
    );
    expect(vars.problems).toEqual([
      {
        path: 'vars.a.var',
        problem: 'names the variable "b", which is not defined before it',
        expected: 'one of (no variables) (vars are defined in order)',
      },
    ]);
    const branch = refusal(
      BASE.replace(
        'site: { substation_id: Site }',
        'branches:\n  - if: { field: { var: nope }, equals: [a] }\n    site: { feeder_id: Site }\nsite: { substation_id: Site }',
      ),
    );
    expect(branch.problems.map((p) => [p.path, p.problem])).toEqual([
      ['branches[0].if.field.var', 'names the variable "nope", which is not defined before it'],
    ]);
  });

  it('refuses a regex that does not compile, and one without a capture', () => {
    const bad = refusal(BASE.replace('substation_id: Site', "substation_id: { regex: '(?<n>[', from: Site }"));
    expect(bad.problems).toEqual([
      {
        path: 'site.substation_id.regex',
        problem: 'is not a regular expression: Invalid regular expression: /(?<n>[/: Unterminated character class',
        expected: 'a JavaScript regex',
      },
    ]);
    const none = refusal(BASE.replace('substation_id: Site', "substation_id: { regex: '^\\d+', from: Site }"));
    expect(none.problems).toEqual([
      { path: 'site.substation_id.regex', problem: 'has no capturing group', expected: 'a group such as (?<id>\\d+)' },
    ]);
    const matches = refusal(
      BASE.replace(
        'site: { substation_id: Site }',
        "branches:\n  - if: { field: Site, matches: '(' }\n    site: { feeder_id: Site }\nsite: { substation_id: Site }",
      ),
    );
    expect(matches.problems.map((p) => p.path)).toEqual(['branches[0].if.matches']);
  });

  it('refuses a unit neither canonical nor declared, once per place, saying how to declare it', () => {
    const r = refusal(BASE.replace('{ const: A }', '{ const: furlong }'));
    expect(r.problems).toEqual([
      {
        path: 'reading.unit.const',
        problem: 'is "furlong", neither canonical nor declared',
        expected: `one of ${UNITS}, or a declaration under units.furlong (max_abs, negative_is_abnormal, zero_is_abnormal)`,
      },
    ]);
    const wide = refusal(
      BASE.replace(/reading:.*\n/, 'readings: [{ from: Value, measurement: l1_current, unit: parsec }]\n'),
    );
    expect(wide.problems).toEqual([
      {
        path: 'readings[0].unit',
        problem: 'is "parsec", neither canonical nor declared',
        expected: `one of ${UNITS}, or a declaration under units.parsec (max_abs, negative_is_abnormal, zero_is_abnormal)`,
      },
    ]);
    const optional = refusal(
      BASE.replace(
        'value: { from: Value }',
        'source_unit: { from: Value, optional_for: [furlong] }, value: { from: Value }',
      ),
    );
    expect(optional.problems.map((p) => [p.path, p.problem])).toEqual([
      [
        'reading.source_unit.optional_for[0]',
        'is "furlong", neither canonical nor declared, so no reading can have it',
      ],
    ]);
  });

  it('refuses a convertible unit as a reading unit, saying which canonical one to write', () => {
    const r = refusal(BASE.replace('{ const: A }', '{ const: MW }'));
    expect(r.problems.map((p) => [p.path, p.expected])).toEqual([
      [
        'reading.unit.const',
        'a unit an event can carry: MW converts into kW (write unit: kW and state MW as source_unit, or scale by 1000)',
      ],
    ]);
  });

  it('refuses declaring a built-in unit, or a unit another mapping declares differently', () => {
    const builtin = refusal(`${BASE}units:\n  kW: { max_abs: 5, why: x }\n`);
    expect(builtin.problems).toEqual([
      {
        path: 'units',
        problem: 'unit "kW" is built in; a mapping cannot declare it again',
        expected: 'a unit name no other mapping declares differently, and not a built-in one',
      },
    ]);
    const { rejected } = MappingSet.compile([
      parseMapping(`${BASE}units:\n  bool: { max_abs: 2, why: x }\n`, 'b.yaml'),
    ]);
    expect(rejected.map((r) => r.error.message)).toEqual([
      'mapping b.yaml is invalid: units: unit "bool" is declared by mapping chargeminder_ndjson with other bounds (max_abs 1); expected a unit name no other mapping declares differently, and not a built-in one',
    ]);
  });

  it('refuses label: end without a period', () => {
    const r = refusal(BASE.replace('zone: UTC', 'zone: UTC, label: end'));
    expect(r.problems).toEqual([
      {
        path: 'timestamp.period',
        problem: 'is absent, but periods are labelled by their end',
        expected: 'the period length, such as 30m',
      },
    ]);
  });

  it('refuses a time zone the runtime does not know, as a problem at timestamp.zone', () => {
    const r = refusal(BASE.replace('zone: UTC', 'zone: Mars/Olympus'));
    expect(r.message).toBe(
      'mapping bad.yaml is invalid: timestamp.zone: unknown time zone "Mars/Olympus"; expected UTC, source, or an IANA name such as Europe/London',
    );
  });

  it('refuses a column the CSV recognition does not list', () => {
    const r = refusal(BASE.replace('substation_id: Site', 'substation_id: Nowhere'));
    expect(r.problems).toEqual([
      {
        path: 'site.substation_id',
        problem: 'names the column "Nowhere", which recognise.csv does not list',
        expected: 'one of Site, Time, Value',
      },
    ]);
  });
});
