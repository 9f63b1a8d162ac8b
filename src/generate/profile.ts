/**
 * The shapes behind the numbers: a UK residential daily load profile, its seasonal
 * swing, and the sun. The demand factors lie in [0, 1], so that a feeder's design
 * peak is the most it can ever draw.
 */

interface Bump {
  readonly amp: number;
  /** Centre, local hour. */
  readonly at: number;
  /** Width (standard deviation), hours. */
  readonly width: number;
}

/** Base load (fridges, standby) under every hour. */
const BASE = 0.3;

// Broad bumps on purpose: aggregated over a feeder's households the profile is smooth,
// and a spike rule compares each reading with the last few hours, so no bump may
// start abruptly out of a flat stretch. The wide evening bump keeps the night a
// gentle decline into the 3–4 am minimum rather than a plateau.
const WEEKDAY: readonly Bump[] = [
  { amp: 0.22, at: 8.2, width: 2.6 }, // morning shoulder: kettles, showers
  { amp: 0.14, at: 12.8, width: 3.5 }, // daytime
  { amp: 0.5, at: 18.6, width: 2.8 }, // evening peak, 4–8 pm
  { amp: 0.3, at: 19.5, width: 5.5 }, // the long evening and its tail into the night
];
const WEEKEND: readonly Bump[] = [
  { amp: 0.26, at: 9.8, width: 2.8 }, // later, broader morning
  { amp: 0.2, at: 13.5, width: 3.5 }, // people at home
  { amp: 0.46, at: 18.4, width: 2.8 },
  { amp: 0.3, at: 19.5, width: 5.5 },
];

function rawShape(bumps: readonly Bump[], hour: number): number {
  let v = BASE;
  for (const b of bumps) {
    let d = Math.abs(hour - b.at);
    if (d > 12) d = 24 - d;
    v += b.amp * Math.exp((-d * d) / (2 * b.width * b.width));
  }
  return v;
}

/** The highest value either day type reaches, so that `dailyShape` peaks at exactly 1. */
const PEAK = (() => {
  let max = 0;
  for (let m = 0; m < 24 * 60; m++) max = Math.max(max, rawShape(WEEKDAY, m / 60), rawShape(WEEKEND, m / 60));
  return max;
})();

/**
 * Residential demand by local hour as a fraction of the peak; `weekend` is 0 on a
 * weekday, 1 at the weekend, and in between around the midnights where they meet.
 */
export function dailyShape(localHour: number, weekend: number): number {
  const h = ((localHour % 24) + 24) % 24;
  const weekday = weekend >= 1 ? 0 : rawShape(WEEKDAY, h);
  const weekendShape = weekend <= 0 ? 0 : rawShape(WEEKEND, h);
  return (weekday * (1 - weekend) + weekendShape * weekend) / PEAK;
}

/** Winter demand is highest (mid-January = 1), mid-July lowest (0.7). */
export function seasonFactor(dayOfYear: number): number {
  return 0.85 + 0.15 * Math.cos((2 * Math.PI * (dayOfYear - 14)) / 365.25);
}

/**
 * Clear-sky PV output as a fraction of the array's peak: zero at night, a smooth
 * bell from sunrise to sunset around solar noon, weaker and shorter in winter. The
 * bell is broad (sin^1.2): its afternoon fall adds to the evening's rising demand on
 * a PV feeder, and a steeper one reads as a spike.
 */
export function solarFactor(utcHour: number, dayOfYear: number, latitude: number, longitude: number): number {
  const sun = sunOf(dayOfYear, latitude, longitude);
  const x = (utcHour - sun.rise) / (sun.set - sun.rise);
  if (x <= 0 || x >= 1) return 0;
  return sun.strength * Math.pow(Math.sin(Math.PI * x), 1.2);
}

export interface SunDay {
  /** Sunrise and sunset, UTC hours. */
  readonly rise: number;
  readonly set: number;
  readonly noonUtc: number;
  /** Clear-sky output at solar noon as a fraction of June's: ~0.3 in December. */
  readonly strength: number;
}

export function sunOf(dayOfYear: number, latitude: number, longitude: number): SunDay {
  const declination = 23.44 * Math.sin((2 * Math.PI * (dayOfYear - 80)) / 365.25);
  const rad = Math.PI / 180;
  const cosH0 = Math.max(-1, Math.min(1, -Math.tan(latitude * rad) * Math.tan(declination * rad)));
  const halfDay = (Math.acos(cosH0) * 12) / Math.PI;
  const noonUtc = 12 - longitude / 15;
  const noonElevation = Math.max(90 - latitude + declination, 5);
  const strength = Math.sin(noonElevation * rad) / Math.sin((90 - latitude + 23.44) * rad);
  return { rise: noonUtc - halfDay, set: noonUtc + halfDay, noonUtc, strength };
}
