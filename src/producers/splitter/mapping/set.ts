/**
 * The mappings a split chooses from: built-in plus user mappings, compiled, in the
 * order detection tries them (priority, highest first; built-ins before user
 * mappings of equal priority; then by name). A file's mapping is chosen, in order,
 * by an explicit source (`ingest --source NAME`, kept as object metadata), by a raw
 * prefix a mapping names, or by its header (CSV) / first record (JSON).
 */
import { BUILTIN_UNITS, type UnitRegistry } from '../../../shared/units.ts';
import type { LoadedMapping } from '../../../shared/sources/mapping.ts';
import { duplicateColumn } from '../formats.ts';
import { builtinMappings } from './builtin.ts';
import { compileMapping, type CompiledMapping, type CompileOptions, type CsvRowMapper } from './compile.ts';

/** Why a mapping was chosen for a file. */
export interface Choice {
  readonly mapping: CompiledMapping;
  readonly why: string;
}

export class UnknownSourceError extends Error {
  override name = 'UnknownSourceError';
}

export class MappingSet implements CsvMappers {
  readonly mappings: readonly CompiledMapping[];
  private readonly byName: ReadonlyMap<string, CompiledMapping>;
  /** Every unit any mapping of the set declares, with the built-in ones. */
  readonly units: UnitRegistry;

  constructor(mappings: readonly CompiledMapping[], units: UnitRegistry) {
    this.mappings = [...mappings].sort((a, b) => b.priority - a.priority);
    this.byName = new Map(mappings.map((m) => [m.name, m]));
    this.units = units;
  }

  /**
   * Compiles built-in and user mappings. A user mapping may not take a built-in's name;
   * one that fails to compile is left out and reported in `rejected` (it was checked at
   * `sources add`, so this means the rules changed under it).
   */
  static compile(
    user: readonly LoadedMapping[],
    options: CompileOptions = {},
  ): { set: MappingSet; rejected: { origin: string; error: Error }[] } {
    const rejected: { origin: string; error: Error }[] = [];
    let units = options.units ?? BUILTIN_UNITS;
    const compiled: CompiledMapping[] = [];
    const names = new Set<string>();
    for (const loaded of [
      ...builtinMappings(),
      ...[...user].sort((a, b) => a.mapping.name.localeCompare(b.mapping.name)),
    ]) {
      if (names.has(loaded.mapping.name)) {
        rejected.push({
          origin: loaded.origin,
          error: new Error(`a mapping named ${loaded.mapping.name} exists already`),
        });
        continue;
      }
      try {
        const m = compileMapping(loaded, { ...options, units });
        units = m.units;
        compiled.push(m);
        names.add(m.name);
      } catch (err) {
        rejected.push({ origin: loaded.origin, error: err as Error });
      }
    }
    return { set: new MappingSet(compiled, units), rejected };
  }

  get(name: string): CompiledMapping | undefined {
    return this.byName.get(name);
  }

  /** The mapping an explicit source names; throws for a name no mapping has. */
  named(name: string): Choice {
    const m = this.byName.get(name);
    if (m === undefined)
      throw new UnknownSourceError(
        `no mapping is named ${JSON.stringify(name)} (known: ${[...this.byName.keys()].join(', ')})`,
      );
    return { mapping: m, why: `the source was named explicitly: ${name}` };
  }

  /** The mapping whose raw prefix the key is under (the longest prefix wins). */
  byPrefix(key: string): Choice | undefined {
    let best: { m: CompiledMapping; prefix: string } | undefined;
    for (const m of this.mappings)
      for (const prefix of m.mapping.recognise.prefixes ?? [])
        if (key.startsWith(prefix) && (best === undefined || prefix.length > best.prefix.length)) best = { m, prefix };
    return best && { mapping: best.m, why: `the key is under ${best.prefix}, which names ${best.m.name}` };
  }

  /**
   * The mapper for a CSV file: the explicitly named source, else the mapping a raw
   * prefix names, else the first whose recognition takes the header. An explicit or
   * prefix choice maps rows whatever the header says (its columns may be missing: rows
   * are then rejected field by field, which says more than `unknown_format`).
   */
  chooseCsv(header: readonly string[], key: string, sourceName?: string | undefined): CsvChoice {
    const twice = duplicateColumn(header);
    if (twice !== undefined) return { mapper: undefined, why: `it names the column ${JSON.stringify(twice)} twice` };
    let choice: Choice | undefined;
    if (sourceName !== undefined && sourceName !== '') {
      const m = this.byName.get(sourceName);
      if (m === undefined)
        return {
          mapper: undefined,
          why: `the object names the source ${JSON.stringify(sourceName)}, which no mapping has`,
        };
      choice = { mapping: m, why: `the object names its source: ${sourceName}` };
    } else choice = this.byPrefix(key);
    if (choice !== undefined && choice.mapping.mapping.shape.kind !== 'csv')
      return {
        mapper: undefined,
        why: `${choice.why}, but ${choice.mapping.name} reads ${choice.mapping.mapping.shape.kind}, not CSV`,
      };
    let tried: { name: string; why: string }[] = [];
    if (choice === undefined) ({ choice, tried } = this.byHeader(header));
    if (choice === undefined)
      return {
        mapper: undefined,
        why: tried.map((t) => `${t.name}: ${t.why}`).join('; ') || 'no CSV mapping is known',
      };
    return {
      mapper: choice.mapping.forHeader(header),
      name: choice.mapping.name,
      hash: choice.mapping.hash,
      why: choice.why,
    };
  }

  /** The first mapping (by priority) recognising a CSV header, with the reasons the others gave. */
  byHeader(header: readonly string[]): { choice: Choice | undefined; tried: { name: string; why: string }[] } {
    const tried: { name: string; why: string }[] = [];
    for (const m of this.mappings) {
      if (m.mapping.shape.kind !== 'csv') continue;
      const r = m.recogniseHeader(header);
      if (r.matched) return { choice: { mapping: m, why: r.why }, tried };
      tried.push({ name: m.name, why: r.why });
    }
    return { choice: undefined, tried };
  }
}

/** A CSV file's row mapper and what chose it; or, for no mapping, why none took it. */
export type CsvChoice =
  | { readonly mapper: CsvRowMapper; readonly name: string; readonly hash: string; readonly why: string }
  | { readonly mapper: undefined; readonly why: string };

/** What the streaming core asks for a mapper (MappingSet; the test oracle wraps the old hand-written mappers). */
export interface CsvMappers {
  chooseCsv(header: readonly string[], key: string, sourceName?: string | undefined): CsvChoice;
  /** Every mapping of the set: the JSON side of the core chooses among them (json-split.ts). */
  readonly mappings?: readonly CompiledMapping[] | undefined;
}

const builtinSets = new Map<string, MappingSet>();

/** The built-in mappings alone (no bucket to read user mappings from), compiled once per zone. */
export function builtinMappingSet(sourceTimeZone = 'UTC'): MappingSet {
  let set = builtinSets.get(sourceTimeZone);
  if (set === undefined) {
    set = MappingSet.compile([], { sourceTimeZone }).set;
    builtinSets.set(sourceTimeZone, set);
  }
  return set;
}
