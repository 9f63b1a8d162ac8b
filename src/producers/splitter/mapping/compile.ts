/**
 * A mapping → the row functions of the splitter's streaming core, compiled once when
 * the mapping is loaded (`compileMapping`: the compile check, lookup tables) and once
 * more per header or JSON document (`forHeader`, `forRecords`: every column resolved
 * to its index), so a row costs what a hand-written mapper costs.
 *
 * The compile check lives here: a mapping that passes the schema but names a lookup
 * that does not exist, a unit that is neither canonical, convertible nor declared, a
 * regex without its group, an end-labelled period without a length, … is refused with
 * a `MappingError` naming the path of each problem.
 */
import type { Expr, LoadedMapping, Mapping } from '../../../shared/sources/mapping.ts';
import { BUILTIN_UNITS, CONVERSIONS, UnitConflictError, type UnitRegistry } from '../../../shared/units.ts';
import type { EmitReading, Rejection } from '../rows.ts';
import { TimeZoneError, TimestampReader } from '../timestamps.ts';
import { csvAccessor, normaliseColumn, type RecordAccessor } from './accessor.ts';
import { compileLookup, type CompiledLookup } from './expr.ts';
import { MappingMapper, type OnReference, type RejectReading } from './mapper.ts';
import { Problems } from './problems.ts';

export type { RejectReading } from './mapper.ts';

export interface CompileOptions {
  /** Zone of zone-less times for a mapping whose `timestamp.zone` is `source`. @default 'UTC' */
  readonly sourceTimeZone?: string | undefined;
  /**
   * The units the mapping may use besides its own declarations (the built-in ones and
   * those other stored mappings declare). @default BUILTIN_UNITS
   */
  readonly units?: UnitRegistry | undefined;
  /** The registry loader's collector of reference attributes (`MapperSettings.onReference`); the splitter has none. */
  readonly onReference?: OnReference | undefined;
  /** Map through the closures alone, without generated row functions (`MapperSettings.closuresOnly`; tests). */
  readonly closuresOnly?: boolean | undefined;
}

/** Maps one record (a CSV row's fields, a parsed JSON record) to readings, or says why not. */
export interface RecordMapper<R> {
  /** The mapping's name: the manifest's `format`. */
  readonly format: string;
  /**
   * Emits the record's readings and returns undefined, or returns why it is rejected
   * (then nothing was emitted). With `reject: reading`, a bad reading of an accepted
   * record goes to `rejectReading` instead.
   */
  map(record: R, emit: EmitReading, rejectReading?: RejectReading): Rejection | undefined;
}

export interface CsvRowMapper extends RecordMapper<readonly string[]> {
  /** Fields every row must have: the header's. */
  readonly columnCount: number;
}

/** Whether a mapping takes a file, and why (for `dubegrid sources test`). */
export interface Recognition {
  readonly matched: boolean;
  readonly why: string;
}

export interface CompiledMapping {
  readonly name: string;
  readonly hash: string;
  readonly origin: string;
  readonly mapping: Mapping;
  readonly priority: number;
  /** The units readers need for this mapping's events: the registry given plus its declarations. */
  readonly units: UnitRegistry;
  /** Whether a CSV header is this layout's. */
  recogniseHeader(header: readonly string[]): Recognition;
  /** A mapper for CSV rows under this header, whether recognised or not (an explicit `--source`). */
  forHeader(header: readonly string[]): CsvRowMapper;
  /** A mapper for JSON records; the accessor resolves paths (and `$doc.…` metadata). */
  forRecords<R>(accessor: RecordAccessor<R>): RecordMapper<R>;
}

/** Compiles a loaded mapping; throws MappingError when it fails the compile check. */
export function compileMapping(loaded: LoadedMapping, options: CompileOptions = {}): CompiledMapping {
  const { origin } = loaded;
  const mapping = oneByteStrings(loaded.mapping);
  const problems = new Problems();
  let units = options.units ?? BUILTIN_UNITS;
  try {
    units = units.with(mapping.units ?? {}, mapping.name);
  } catch (err) {
    if (!(err instanceof UnitConflictError)) throw err;
    problems.add('units', err.message, 'a unit name no other mapping declares differently, and not a built-in one');
  }
  const lookups = new Map<string, CompiledLookup>();
  for (const [name, table] of Object.entries(mapping.lookups ?? {})) lookups.set(name, compileLookup(name, table));
  const sourceTimeZone = options.sourceTimeZone ?? 'UTC';
  checkStatic(mapping, units, lookups, problems);

  // The compile check proper: compile against the layout the mapping declares, collecting every problem.
  const declared = mapping.shape.kind === 'csv' ? csvAccessor(declaredColumns(mapping)) : anyPath();
  try {
    // (the check needs the compiled steps, not a row function: none is generated)
    new MappingMapper(mapping, declared as RecordAccessor<unknown>, {
      units,
      lookups,
      sourceTimeZone,
      problems,
      closuresOnly: true,
    });
  } catch (err) {
    // a zone the runtime does not know is already a problem at timestamp.zone (checkStatic)
    if (!(err instanceof TimeZoneError)) throw err;
  }
  problems.check(origin);

  const settings = {
    units,
    lookups,
    sourceTimeZone,
    problems: new Problems(),
    onReference: options.onReference,
    closuresOnly: options.closuresOnly,
  };
  const csv = mapping.recognise.csv;
  return {
    name: mapping.name,
    hash: loaded.hash,
    origin,
    mapping,
    priority: mapping.recognise.priority ?? 0,
    units,
    recogniseHeader: (header) => recogniseCsv(mapping, csv, header),
    forHeader(header) {
      const mapper = new MappingMapper(mapping, csvAccessor(header), settings);
      return Object.assign(mapper, { columnCount: header.length });
    },
    forRecords: (accessor) => new MappingMapper(mapping, accessor, settings),
  };
}

/**
 * A copy of the mapping whose every string that Latin-1 can hold is held one byte a
 * character. A string the YAML parser slices out of a file with one character beyond
 * Latin-1 anywhere (lv_long.yaml's description has an em dash) is held two bytes a
 * character, ASCII or not, and so is every string built from it: the measure's JSON
 * (measurement, phase, unit from the mapping), a template's literal in a substation id,
 * and so each event's JSON. Such an event costs twice the bytes to flatten into the
 * aggregate and a slower UTF-8 encoding to hash: the engine's events were built two
 * bytes a character, the hand-written mappers' one, and that alone cost the engine ~5 %
 * of a split's CPU (more garbage, more collections) for byte-identical events.
 */
export function oneByteStrings<T>(value: T): T {
  if (typeof value === 'string') return oneByte(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => oneByteStrings(v)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[oneByte(k)] = oneByteStrings(v);
  return out as T;
}

function oneByte(text: string): string {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return text;
  // latin1 decoding makes a new string one byte a character
  return Buffer.from(text, 'latin1').toString('latin1');
}

function recogniseCsv(mapping: Mapping, csv: Mapping['recognise']['csv'], header: readonly string[]): Recognition {
  if (mapping.shape.kind !== 'csv' || csv === undefined)
    return { matched: false, why: `${mapping.name} reads ${mapping.shape.kind}, not CSV headers` };
  const have = new Set(header.map(normaliseColumn));
  const missing = csv.columns.filter((c) => !have.has(normaliseColumn(c)));
  if (missing.length > 0)
    return { matched: false, why: `the header lacks ${missing.map((c) => JSON.stringify(c)).join(', ')}` };
  if (csv.any_of !== undefined && !csv.any_of.some((c) => have.has(normaliseColumn(c))))
    return { matched: false, why: `the header has none of ${csv.any_of.join(', ')}` };
  if (csv.exact) {
    const allowed = new Set([...csv.columns, ...(csv.optional ?? []), ...(csv.any_of ?? [])].map(normaliseColumn));
    const extra = header.filter((h) => !allowed.has(normaliseColumn(h)));
    if (extra.length > 0)
      return { matched: false, why: `the header has columns the layout does not: ${extra.join(', ')}` };
  }
  const found = csv.any_of?.filter((c) => have.has(normaliseColumn(c))) ?? [];
  return {
    matched: true,
    why: `the header has ${csv.columns.join(', ')}${found.length > 0 ? ` and ${found.join(', ')}` : ''} (case and spaces ignored)`,
  };
}

/** The columns a CSV mapping's header has at most: what the compile check resolves names against. */
function declaredColumns(mapping: Mapping): string[] {
  const csv = mapping.recognise.csv;
  const cols = [...(csv?.columns ?? []), ...(csv?.optional ?? []), ...(csv?.any_of ?? [])];
  for (const r of mapping.readings ?? []) cols.push(r.from);
  return cols;
}

/** JSON layouts are not known column by column: every path resolves (records lacking one give missing). */
function anyPath(): RecordAccessor<unknown> {
  return { field: () => () => undefined, label: (name) => name };
}

/** Checks that need no record: names, units, zones, shape against recognition. */
function checkStatic(
  mapping: Mapping,
  units: UnitRegistry,
  lookups: ReadonlyMap<string, CompiledLookup>,
  problems: Problems,
): void {
  const csv = mapping.recognise.csv;
  if (mapping.shape.kind === 'csv' && csv === undefined && (mapping.recognise.prefixes ?? []).length === 0)
    problems.add('recognise', 'gives no way to recognise this CSV layout', 'recognise.csv, or recognise.prefixes');
  if (mapping.shape.kind !== 'csv' && csv !== undefined)
    problems.add('recognise.csv', `is set, but shape.kind is ${mapping.shape.kind}`, 'recognise.json for JSON layouts');
  if (mapping.shape.kind === 'csv' && mapping.signals !== undefined)
    problems.add('signals', 'is set, but CSV rows have no nested signals', 'reading or readings for CSV');
  if (csv !== undefined) {
    const known = new Set(declaredColumns(mapping).map(normaliseColumn));
    for (const [i, r] of (mapping.readings ?? []).entries()) {
      const inRecognised = [...csv.columns, ...(csv.optional ?? []), ...(csv.any_of ?? [])].some(
        (c) => normaliseColumn(c) === normaliseColumn(r.from),
      );
      if (!inRecognised && csv.exact)
        problems.add(
          `readings[${i}].from`,
          `is ${JSON.stringify(r.from)}, which an exact header never has`,
          'a column of recognise.csv',
        );
    }
    for (const name of fieldNames(mapping)) {
      if (!known.has(normaliseColumn(name.name)))
        problems.add(
          name.path,
          `names the column ${JSON.stringify(name.name)}, which recognise.csv does not list`,
          `one of ${[...csv.columns, ...(csv.optional ?? [])].join(', ')}`,
        );
    }
  }
  for (const [name, table] of lookups) {
    if (mapping.reading?.unit !== undefined && usesLookupField(mapping.reading.unit, name, 'unit')) {
      for (const [key, entry] of table.entries) {
        const u = entry.unit;
        if (typeof u === 'string' && !units.has(u))
          problems.add(
            `lookups.${name}.entries.${key}.unit`,
            `is ${JSON.stringify(u)}, neither canonical nor declared`,
            unitHint(u, units),
          );
      }
    }
  }
  const unit = mapping.reading?.unit;
  if (
    unit !== undefined &&
    typeof unit !== 'string' &&
    'const' in unit &&
    typeof unit.const === 'string' &&
    !units.has(unit.const)
  )
    problems.add(
      'reading.unit.const',
      `is ${JSON.stringify(unit.const)}, neither canonical nor declared`,
      unitHint(unit.const, units),
    );
  for (const [sig, s] of Object.entries(mapping.signals?.signals ?? {}))
    if (!units.has(s.unit))
      problems.add(
        `signals.signals.${sig}.unit`,
        `is ${JSON.stringify(s.unit)}, neither canonical nor declared`,
        unitHint(s.unit, units),
      );
  for (const [i, r] of (mapping.readings ?? []).entries())
    if (!units.has(r.unit))
      problems.add(
        `readings[${i}].unit`,
        `is ${JSON.stringify(r.unit)}, neither canonical nor declared`,
        unitHint(r.unit, units),
      );
  for (const [i, unit] of (mapping.reading?.source_unit?.optional_for ?? []).entries())
    if (!units.has(unit))
      problems.add(
        `reading.source_unit.optional_for[${i}]`,
        `is ${JSON.stringify(unit)}, neither canonical nor declared, so no reading can have it`,
        unitHint(unit, units),
      );
  const zone = mapping.timestamp.zone;
  if (zone !== undefined && zone !== 'source') {
    try {
      new TimestampReader(zone);
    } catch (err) {
      if (!(err instanceof TimeZoneError)) throw err;
      problems.add(
        'timestamp.zone',
        err.message.replace(/ \(expected.*$/, ''),
        'UTC, source, or an IANA name such as Europe/London',
      );
    }
  }
  if (mapping.reading === undefined && mapping.readings === undefined && mapping.signals === undefined)
    problems.add('', 'has no readings', 'reading, readings or signals');
}

function unitHint(unit: string, units: UnitRegistry): string {
  const c = CONVERSIONS[unit.trim().toLowerCase()];
  if (c)
    return `a unit an event can carry: ${unit} converts into ${c.unit} (write unit: ${c.unit} and state ${unit} as source_unit, or scale by ${c.factor})`;
  return `one of ${units.names().join(', ')}, or a declaration under units.${unit} (max_abs, negative_is_abnormal, zero_is_abnormal)`;
}

function usesLookupField(expr: Expr, table: string, field: string): boolean {
  return typeof expr !== 'string' && 'lookup' in expr && expr.lookup === table && expr.get === field;
}

/** Every column name the mapping's expressions read directly, with its path. */
function fieldNames(mapping: Mapping): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  const walk = (value: unknown, path: string, exprPosition: boolean): void => {
    if (exprPosition && typeof value === 'string') {
      out.push({ name: value, path });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`, false));
      return;
    }
    const o = value as Record<string, unknown>;
    if (typeof o.column === 'string') out.push({ name: o.column, path: `${path}.column` });
    if (path.endsWith('vars')) {
      for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`, true);
      return;
    }
    for (const [k, v] of Object.entries(o)) {
      if (k === 'lookups' || k === 'units' || k === 'recognise' || k === 'readings' || k === 'message') continue;
      walk(v, path === '' ? k : `${path}.${k}`, EXPR_KEYS.has(k));
    }
  };
  walk(mapping, '', false);
  return out;
}

/** Keys whose value is an expression (a bare string there is a column). */
const EXPR_KEYS = new Set([
  'from',
  'field',
  'substation_id',
  'substation_name',
  'feeder_id',
  'asset_id',
  'measurement',
  'phase',
  'unit',
  'latitude',
  'longitude',
]);
