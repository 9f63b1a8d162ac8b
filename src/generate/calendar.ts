/**
 * What the model needs to know about an instant, computed once per interval and
 * shared by every asset. People follow the clock on the wall (UK civil time, BST in
 * summer); the sun follows UTC.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface Instant {
  /** Epoch milliseconds (UTC). */
  readonly ts: number;
  /** Position on the sampling grid: intervals since the epoch. */
  readonly index: number;
  /** The CSV form, `2025-08-14T15:00:00Z`. */
  readonly text: string;
  /** Hours since epoch (UTC), fractional: the time axis of smooth noise. */
  readonly hours: number;
  /** Hour of the day in UK civil time, [0, 24). */
  readonly localHour: number;
  /**
   * 1 on Saturday and Sunday (UK civil time), 0 on weekdays, moving between the two
   * over the `WEEKEND_BLEND_H` hours either side of the midnights where they meet:
   * behaviour does not switch on the stroke of midnight, and neither may the profile.
   */
  readonly weekend: number;
  /** Hour of the day in UTC, [0, 24). */
  readonly utcHour: number;
  /** Day of the year (UTC), 0 = 1 January. */
  readonly dayOfYear: number;
}

/** The instant `ts` on a grid of `stepMinutes`. */
export function instantOf(ts: number, stepMinutes: number): Instant {
  const offsetH = ukOffsetHours(ts);
  const local = new Date(ts + offsetH * HOUR_MS);
  const utc = new Date(ts);
  const localHour = local.getUTCHours() + local.getUTCMinutes() / 60 + local.getUTCSeconds() / 3600;
  return {
    ts,
    index: Math.floor(ts / (stepMinutes * 60_000)),
    text: `${utc.toISOString().slice(0, 19)}Z`,
    hours: ts / HOUR_MS,
    localHour,
    weekend: weekendness(local.getUTCDay(), localHour),
    utcHour: utc.getUTCHours() + utc.getUTCMinutes() / 60 + utc.getUTCSeconds() / 3600,
    dayOfYear: Math.floor((ts - Date.UTC(utc.getUTCFullYear(), 0, 1)) / DAY_MS),
  };
}

const WEEKEND_BLEND_H = 2;

function weekendness(dayOfWeek: number, localHour: number): number {
  const isWeekend = (d: number): number => (d === 0 || d === 6 ? 1 : 0);
  const today = isWeekend(dayOfWeek);
  if (localHour >= WEEKEND_BLEND_H && localHour <= 24 - WEEKEND_BLEND_H) return today;
  // Near midnight: blend with the neighbouring day, half-and-half at midnight itself.
  const neighbour = isWeekend(localHour < WEEKEND_BLEND_H ? (dayOfWeek + 6) % 7 : (dayOfWeek + 1) % 7);
  const distance = localHour < WEEKEND_BLEND_H ? localHour : 24 - localHour;
  const x = 0.5 + distance / (2 * WEEKEND_BLEND_H); // 0.5 at midnight … 1 at the edge
  const own = x * x * (3 - 2 * x); // smoothstep, continuous at the edge
  return today * own + neighbour * (1 - own);
}

/** 1 during British Summer Time (last Sunday of March to last Sunday of October, 01:00 UTC), else 0. */
export function ukOffsetHours(ts: number): number {
  const year = new Date(ts).getUTCFullYear();
  return ts >= lastSundayAt1Utc(year, 2) && ts < lastSundayAt1Utc(year, 9) ? 1 : 0;
}

function lastSundayAt1Utc(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0, 1));
  return lastDay.getTime() - lastDay.getUTCDay() * DAY_MS;
}
