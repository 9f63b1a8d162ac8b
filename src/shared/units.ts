/**
 * Canonical units of the reading event and the spellings sources use for them.
 * Source units are matched case-insensitively (`kVAR` = `kVAr`).
 */
export const CANONICAL_UNITS = ['V', 'A', 'kW', 'kVAr', 'kVA', 'Wh', 'VArh', 'count', 'pf'] as const;
export type CanonicalUnit = (typeof CANONICAL_UNITS)[number];

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

/** The canonical unit for a source spelling, or undefined when it is not known. */
export function canonicalUnit(source: string): CanonicalUnit | undefined {
  return ALIASES[source.trim().toLowerCase()];
}
