/**
 * The shipped example layout (docs/examples/sources/monitor-export.*) and what its split
 * gives, counted by hand from the CSV: 8 rows; a Reading left empty (missing_field) and a
 * Site without its 6-digit number (invalid_field) quarantined; 6 readings.
 */
export const EXAMPLE = 'docs/examples/sources/monitor-export';

export const EXAMPLE_ACCOUNTING = {
  rows_read: 8,
  rows_accepted: 6,
  rows_quarantined: 2,
  quarantine_reasons: { missing_field: 1, invalid_field: 1 },
  events_emitted: 6,
} as const;
