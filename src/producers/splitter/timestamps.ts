/**
 * Source timestamps → the one canonical form `YYYY-MM-DDTHH:MM:SS.sssZ`.
 *
 * Accepted: `YYYY-MM-DD`, `T` or a space, `HH:MM`, optional `:SS`, optional fraction
 * (`.` or `,`, digits past milliseconds are dropped), then `Z`, an offset (`+01:00`,
 * `+0100`, `+01`) or nothing. A zone-less time is read in the reader's zone: UTC, or an
 * IANA zone such as `Europe/London`. In a zone with clock changes, a wall time that
 * occurs twice (the repeated autumn hour) is read as its EARLIER instant (the first
 * occurrence, summer time) — so an operator's duplicate rows at the clock change map to
 * one natural key and become a correction (the later row wins), as docs/architecture.md → "Corrections" says;
 * a wall time that never occurs (the skipped spring hour) is rejected.
 */
import { canonicalTs } from '../../shared/event.ts';

export type TimestampRead =
  { readonly ok: true; readonly ts: string; readonly ms: number } | { readonly ok: false; readonly message: string };

/** Years outside this range are typing errors, not LV monitoring data. */
export const TIMESTAMP_YEARS = { min: 1970, max: 2100 } as const;

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const MAX_OFFSET_MINUTES = 14 * 60;
const CACHE_LIMIT = 8192;
const DAY_MS = 86_400_000;

export class TimeZoneError extends Error {
  override name = 'TimeZoneError';
}

/** Reads source timestamps for one zone; caches per distinct text (rows share times) unless it is plain. */
export class TimestampReader {
  private readonly cache = new Map<string, TimestampRead>();
  private readonly zone: ZoneResolver | undefined;
  /** The plain text read last, and what it read. */
  private lastText: string | undefined;
  private lastRead: TimestampRead | undefined;
  /** The day `plain` read last, and its start. */
  private lastDate = '';
  private lastDayMs = 0;

  /** @param timeZone zone of zone-less timestamps: `UTC` or an IANA name. @default 'UTC' */
  constructor(readonly timeZone = 'UTC') {
    this.zone = isUtc(timeZone) ? undefined : new ZoneResolver(timeZone);
  }

  read(text: string): TimestampRead {
    // rows of one time mostly come in runs, and the plain shape costs less to read than to look up
    if (text === this.lastText && this.lastRead !== undefined) return this.lastRead;
    const plain = this.plain(text);
    if (plain !== undefined) {
      this.lastText = text;
      this.lastRead = plain;
      return plain;
    }
    let result = this.cache.get(text);
    if (result === undefined) {
      result = this.parse(text);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(text, result);
    }
    return result;
  }

  private parse(text: string): TimestampRead {
    const m = PATTERN.exec(text.trim());
    if (!m) return fail(text, 'is not a date-time such as 2025-08-14T15:00:00Z');
    const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    const second = s === undefined ? 0 : Number(s);
    if (year < TIMESTAMP_YEARS.min || year > TIMESTAMP_YEARS.max) {
      return fail(text, `has year ${year}, outside ${TIMESTAMP_YEARS.min}–${TIMESTAMP_YEARS.max}`);
    }
    if (month < 1 || month > 12) return fail(text, `has month ${month}`);
    if (day < 1 || day > daysInMonth(year, month))
      return fail(text, `has day ${day} in a month of ${daysInMonth(year, month)} days`);
    if (hour > 23 || minute > 59 || second > 59) return fail(text, 'has a time of day outside 00:00:00–23:59:59');
    const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
    const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);

    let ms: number;
    if (z !== undefined) {
      ms = wall;
    } else if (sign !== undefined) {
      const offset = Number(oh) * 60 + (om === undefined ? 0 : Number(om));
      if (Number(om ?? 0) > 59 || offset > MAX_OFFSET_MINUTES) return fail(text, `has an offset beyond ±14:00`);
      ms = wall - (sign === '-' ? -offset : offset) * 60_000;
    } else if (this.zone === undefined) {
      ms = wall;
    } else {
      const resolved = this.zone.toUtc(wall);
      if (resolved === undefined) return fail(text, `does not exist in ${this.timeZone} (the clocks skipped it)`);
      ms = resolved;
    }
    return { ok: true, ts: canonicalTs(ms), ms };
  }

  /**
   * `YYYY-MM-DD HH:MM:SS` (or `T`), with or without a `Z`, in UTC: the shape most sources
   * write, read by character positions with each day's start kept, so that a file whose
   * every row has its own second needs no regex, Date, `toISOString` or cache entry per
   * row (0.2 µs a read instead of 3; the sources bench's JSON Lines core went from 0.23 to
   * 0.28 of JSON.parse's rate). Undefined for anything else, even a time of this shape
   * that is not valid: the general reader says what is wrong with it.
   */
  private plain(text: string): TimestampRead | undefined {
    const n = text.length;
    const zulu = n === 20 && (text.charCodeAt(19) | 0x20) === 0x7a; // Z or z
    if (!(n === 19 || zulu) || (this.zone !== undefined && !zulu)) return undefined;
    const sep = text.charCodeAt(10);
    if (
      text.charCodeAt(4) !== 0x2d ||
      text.charCodeAt(7) !== 0x2d ||
      (sep !== 0x54 && sep !== 0x20) ||
      text.charCodeAt(13) !== 0x3a ||
      text.charCodeAt(16) !== 0x3a
    )
      return undefined;
    const hour = twoDigits(text, 11);
    const minute = twoDigits(text, 14);
    const second = twoDigits(text, 17);
    // NaN (a non-digit) passes no comparison below
    if (!(hour <= 23 && minute <= 59 && second <= 59)) return undefined;
    const date = text.slice(0, 10);
    if (date !== this.lastDate) {
      const year = twoDigits(date, 0) * 100 + twoDigits(date, 2);
      const month = twoDigits(date, 5);
      const day = twoDigits(date, 8);
      if (!(year >= TIMESTAMP_YEARS.min && year <= TIMESTAMP_YEARS.max && month >= 1 && month <= 12 && day >= 1))
        return undefined;
      if (day > daysInMonth(year, month)) return undefined;
      this.lastDate = date;
      this.lastDayMs = Date.UTC(year, month - 1, day);
    }
    return {
      ok: true,
      ts: `${date}T${text.slice(11, 19)}.000Z`,
      ms: this.lastDayMs + hour * 3_600_000 + minute * 60_000 + second * 1000,
    };
  }
}

/** Two decimal digits at `at`; NaN when either is not one. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 0x30;
  const b = text.charCodeAt(at + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

function fail(text: string, why: string): TimestampRead {
  return { ok: false, message: `${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)} ${why}` };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isUtc(zone: string): boolean {
  return /^(utc|gmt|z|etc\/utc|etc\/gmt)$/i.test(zone.trim());
}

/** Wall time in an IANA zone → UTC, by the zone's offsets either side of it. */
class ZoneResolver {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (err) {
      throw new TimeZoneError(
        `unknown time zone ${JSON.stringify(timeZone)} (expected UTC or an IANA name such as Europe/London)`,
        { cause: err },
      );
    }
  }

  /** The earliest instant showing this wall time, or undefined when the zone skips it. */
  toUtc(wall: number): number | undefined {
    // A zone's offset changes at most once within a day of any LV reading's time, so
    // the offsets a day either side are every offset this wall time can have.
    const offsets = new Set([this.offsetAt(wall - DAY_MS), this.offsetAt(wall + DAY_MS)]);
    let best: number | undefined;
    for (const offset of offsets) {
      const t = wall - offset;
      if (this.offsetAt(t) === offset && (best === undefined || t < best)) best = t;
    }
    return best;
  }

  /** Local minus UTC at an instant, in ms. */
  private offsetAt(instant: number): number {
    const whole = instant - (((instant % 1000) + 1000) % 1000);
    const p: Record<string, number> = {};
    for (const part of this.format.formatToParts(whole)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const local = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
    return local - whole;
  }
}
