/** Sized so a new user sees the whole result in about two minutes on a 2-core machine. */
export const SAMPLE_DEFAULTS = { substations: 3, days: 7, seed: 1, start: '2025-08-11' } as const;
