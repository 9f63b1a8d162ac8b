/**
 * The spellings the replay commands accept for times and projections, read once here.
 * Times are instants on the stream's arrival clock (not reading times).
 */
import { isProjectionName, PROJECTIONS, type ProjectionName } from './projection-names.ts';
import { ReplayOptionError } from './errors.ts';

const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d)$/i;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_ZONE = /(?:[zZ]|[+-]\d{2}:?\d{2})$/;

/**
 * `trim-horizon` (everything the stream holds), `now`, a duration ago (`90m`, `2h`,
 * `7d`), a date (`2025-08-14`: its 00:00 UTC) or a time (`2025-08-14T10:00:00Z`,
 * `…+01:00`; without a zone, UTC).
 */
export function parseInstant(value: string, flag: string, now: Date = new Date()): Date {
  const v = value.trim();
  if (/^trim[-_]?horizon$/i.test(v)) return new Date(0);
  if (/^now$/i.test(v)) return now;
  const d = DURATION.exec(v);
  if (d) return new Date(now.getTime() - Number(d[1]) * (UNIT_MS[(d[2] as string).toLowerCase()] as number));
  const text = DATE_ONLY.test(v) ? `${v}T00:00:00Z` : HAS_ZONE.test(v) ? v : `${v}Z`;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || !Number.isFinite(ms)) {
    throw new ReplayOptionError(
      `${flag} must be a time (2025-08-14T10:00:00Z), a date (2025-08-14), a duration ago (2h, 7d), now or trim-horizon; got ${JSON.stringify(value)}`,
    );
  }
  return new Date(ms);
}

/** `all`, one projection, or a comma-separated list. */
export function parseProjections(value: string): ProjectionName[] {
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'all') return [...PROJECTIONS];
  const bad = names.filter((n) => !isProjectionName(n));
  if (names.length === 0 || bad.length > 0)
    throw new ReplayOptionError(
      `--projection must be all or any of ${PROJECTIONS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  return [...new Set(names as ProjectionName[])];
}

export function parseRate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ReplayOptionError(
      `--rate must be a positive number of readings per second, got ${JSON.stringify(value)}`,
    );
  return n;
}
