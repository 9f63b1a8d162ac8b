/**
 * The bounds table (docs/architecture.md → "Bounds"): per unit, which magnitudes are
 * not physical at all on an LV network (quarantined by the splitter) and which are
 * physical but abnormal (passed on as events for the anomaly rules to judge).
 * Nothing else in DubeGrid decides either. The canonical units' bounds are here; a
 * mapping's declared units bring their own, and the unit registry (units.ts) holds both.
 */
// types only: units.ts builds its registry from this table at load, so no value may flow back
import type { CanonicalUnit, UnitRegistry } from './units.ts';

export interface UnitBounds {
  /** |value| above this is not physical on an LV network: quarantined. */
  readonly maxAbs: number;
  /** A negative value is physical but abnormal (reaches the `negative_value` rule). */
  readonly negativeIsAbnormal: boolean;
  /** A zero value is physical but abnormal (a declared unit may say so; no canonical one does). */
  readonly zeroIsAbnormal?: boolean | undefined;
  readonly why: string;
}

export const BUILTIN_BOUNDS: Readonly<Record<CanonicalUnit, UnitBounds>> = {
  V: { maxAbs: 2_000, negativeIsAbnormal: true, why: 'LV is 230/400 V; beyond a few kV is a meter or parsing fault' },
  A: { maxAbs: 10_000, negativeIsAbnormal: true, why: 'the largest LV ways carry a few kA' },
  kW: { maxAbs: 5_000, negativeIsAbnormal: false, why: 'a 2 MVA transformer is the largest on LV; export is negative' },
  kVAr: { maxAbs: 5_000, negativeIsAbnormal: false, why: 'as kW; reactive power is signed' },
  kVA: { maxAbs: 5_000, negativeIsAbnormal: true, why: 'as kW; apparent power is a magnitude' },
  // A 400 A, 400 V three-phase feeder moves ~140 kWh in half an hour; the DNO files'
  // known bad rows reach 50 GWh. 10 MWh per interval leaves a wide margin.
  Wh: { maxAbs: 10_000_000, negativeIsAbnormal: true, why: 'energy imported per interval' },
  VArh: { maxAbs: 10_000_000, negativeIsAbnormal: false, why: 'reactive energy per interval' },
  count: { maxAbs: 1_000_000, negativeIsAbnormal: true, why: 'meters behind an aggregate' },
  pf: { maxAbs: 1.000_001, negativeIsAbnormal: false, why: 'power factor lies in [-1, 1]' },
};

export type BoundsVerdict = { ok: true; abnormal: boolean } | { ok: false; reason: string };

/** The bounds of a unit, canonical or declared in `units`. */
export function boundsOf(unit: string, units?: UnitRegistry): UnitBounds | undefined {
  return units ? units.boundsOf(unit) : (BUILTIN_BOUNDS as Readonly<Record<string, UnitBounds>>)[unit];
}

/** Judge a finite value against the bounds of its unit (a unit the registry does not know is not physical). */
export function checkBounds(unit: string, value: number, units?: UnitRegistry): BoundsVerdict {
  return judgeBounds(unit, value, boundsOf(unit, units));
}

/** `checkBounds` with the unit's bounds already looked up (the splitter resolves them once per measure). */
export function judgeBounds(unit: string, value: number, b: UnitBounds | undefined): BoundsVerdict {
  if (b === undefined) return { ok: false, reason: `${JSON.stringify(unit)} is not a known unit` };
  if (!Number.isFinite(value)) return { ok: false, reason: `${value} is not a finite number` };
  if (Math.abs(value) > b.maxAbs) {
    return { ok: false, reason: `|${value}| ${unit} exceeds ${b.maxAbs} ${unit} (${b.why})` };
  }
  return (value < 0 && b.negativeIsAbnormal) || (value === 0 && b.zeroIsAbnormal === true) ? ABNORMAL : NORMAL;
}

// Shared verdicts: the splitter asks once per reading, and an object per answer was
// measurable there.
const NORMAL: BoundsVerdict = Object.freeze({ ok: true, abnormal: false });
const ABNORMAL: BoundsVerdict = Object.freeze({ ok: true, abnormal: true });
