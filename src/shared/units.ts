/**
 * Units of the reading event: the canonical ones, the spellings sources use for them,
 * the conversions a mapping may rely on (MW → kW), and the units mappings declare for
 * quantities with no canonical unit (seed 004's `km`). One registry holds them all; every
 * reader of an event (splitter, consumers, lake converter, verify) asks it, never a list
 * of its own. Source units are matched case-insensitively (`kVAR` = `kVAr`).
 */
import { BUILTIN_BOUNDS, type UnitBounds } from './bounds.ts';

export const CANONICAL_UNITS = ['V', 'A', 'kW', 'kVAr', 'kVA', 'Wh', 'VArh', 'count', 'pf'] as const;
export type CanonicalUnit = (typeof CANONICAL_UNITS)[number];
/** An event's unit: a canonical one or one a mapping declared. */
export type Unit = string;

const ALIASES: Record<string, CanonicalUnit> = {
  v: 'V',
  volt: 'V',
  volts: 'V',
  a: 'A',
  amp: 'A',
  amps: 'A',
  kw: 'kW',
  kvar: 'kVAr',
  kva: 'kVA',
  wh: 'Wh',
  varh: 'VArh',
  count: 'count',
  pf: 'pf',
};

/** Source units that convert into a canonical one by a factor (value × factor). */
export const CONVERSIONS: Readonly<Record<string, { readonly unit: CanonicalUnit; readonly factor: number }>> = {
  w: { unit: 'kW', factor: 0.001 },
  mw: { unit: 'kW', factor: 1000 },
  mvar: { unit: 'kVAr', factor: 1000 },
  mva: { unit: 'kVA', factor: 1000 },
  kv: { unit: 'V', factor: 1000 },
  ka: { unit: 'A', factor: 1000 },
  kwh: { unit: 'Wh', factor: 1000 },
  mwh: { unit: 'Wh', factor: 1_000_000 },
  kvarh: { unit: 'VArh', factor: 1000 },
  mvarh: { unit: 'VArh', factor: 1_000_000 },
};

/** The canonical unit for a source spelling, or undefined when it is not known. */
export function canonicalUnit(source: string): CanonicalUnit | undefined {
  return ALIASES[source.trim().toLowerCase()];
}

/** What a declared unit's bounds are made of (a mapping's `units.<name>`). */
export interface DeclaredUnit {
  readonly max_abs: number;
  readonly negative_is_abnormal?: boolean | undefined;
  readonly zero_is_abnormal?: boolean | undefined;
  readonly why?: string | undefined;
}

export class UnitConflictError extends Error {
  override name = 'UnitConflictError';
}

/**
 * Built-in units plus declared ones. Immutable: `with` returns a wider registry, so a
 * registry handed to a consumer never changes under it.
 */
export class UnitRegistry {
  private constructor(
    private readonly bounds: ReadonlyMap<string, UnitBounds>,
    /** Declared units: by name, and which mapping declared them. */
    readonly declared: ReadonlyMap<string, { readonly bounds: UnitBounds; readonly by: string }>,
  ) {}

  static builtin(): UnitRegistry {
    return BUILTIN_UNITS;
  }

  /** Is this an event unit (canonical or declared), spelled exactly? */
  has(unit: string): boolean {
    return this.bounds.has(unit);
  }

  boundsOf(unit: string): UnitBounds | undefined {
    return this.bounds.get(unit);
  }

  /** Every unit, canonical first. */
  names(): string[] {
    return [...this.bounds.keys()];
  }

  /**
   * How a source's unit text becomes `target`: factor 1 when it is `target` (any
   * spelling), the conversion factor when it converts, undefined otherwise.
   */
  factorInto(source: string, target: string): number | undefined {
    if (source === target) return 1;
    const key = source.trim().toLowerCase();
    if (ALIASES[key] === target) return 1;
    if (this.declared.has(target) && key === target.toLowerCase()) return 1;
    const c = CONVERSIONS[key];
    return c !== undefined && c.unit === target ? c.factor : undefined;
  }

  /** Whether a source unit text is known at all (canonical, convertible or declared). */
  knows(source: string): boolean {
    const key = source.trim().toLowerCase();
    if (ALIASES[key] !== undefined || CONVERSIONS[key] !== undefined) return true;
    for (const name of this.declared.keys()) if (name.toLowerCase() === key) return true;
    return false;
  }

  /**
   * This registry plus a mapping's declared units. A name that is canonical, a
   * conversion's spelling, or declared differently by another mapping is refused.
   */
  with(units: Readonly<Record<string, DeclaredUnit>>, by: string): UnitRegistry {
    const bounds = new Map(this.bounds);
    const declared = new Map(this.declared);
    for (const [name, d] of Object.entries(units)) {
      const b: UnitBounds = {
        maxAbs: d.max_abs,
        negativeIsAbnormal: d.negative_is_abnormal ?? false,
        zeroIsAbnormal: d.zero_is_abnormal ?? false,
        why: d.why ?? `declared by mapping ${by}`,
      };
      const key = name.toLowerCase();
      if (ALIASES[key] !== undefined || CONVERSIONS[key] !== undefined)
        throw new UnitConflictError(`unit ${JSON.stringify(name)} is built in; a mapping cannot declare it again`);
      const before = declared.get(name);
      if (before !== undefined && !sameBounds(before.bounds, b))
        throw new UnitConflictError(
          `unit ${JSON.stringify(name)} is declared by mapping ${before.by} with other bounds (max_abs ${before.bounds.maxAbs})`,
        );
      bounds.set(name, b);
      if (before === undefined) declared.set(name, { bounds: b, by });
    }
    return new UnitRegistry(bounds, declared);
  }

  /** @internal the built-in registry */
  static create(bounds: ReadonlyMap<string, UnitBounds>): UnitRegistry {
    return new UnitRegistry(bounds, new Map());
  }
}

function sameBounds(a: UnitBounds, b: UnitBounds): boolean {
  return (
    a.maxAbs === b.maxAbs && a.negativeIsAbnormal === b.negativeIsAbnormal && a.zeroIsAbnormal === b.zeroIsAbnormal
  );
}

/** The canonical units alone: what every reader knows before any mapping is loaded. */
export const BUILTIN_UNITS: UnitRegistry = UnitRegistry.create(new Map(Object.entries(BUILTIN_BOUNDS)));

/**
 * How a reader gets the registry: resolved per batch (or per page), so a mapping added
 * with `dubegrid sources add` reaches the readers without a restart. `fresh`: look at
 * the stored mappings now rather than trust a cached registry (a reader about to
 * refuse a reading asks again once: the mapping that declares its unit may be new).
 */
export type UnitsProvider = (options?: { readonly fresh?: boolean }) => Promise<UnitRegistry>;

/** The provider of readers that were given none: the canonical units alone. */
export const builtinUnits: UnitsProvider = () => Promise.resolve(BUILTIN_UNITS);
