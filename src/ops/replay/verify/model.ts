/**
 * What verify reports: differences, each naming its zone, the check that failed, the
 * thing it is about (an object key, an item key, a notification id) and what exactly
 * differs — a list a person can act on, and a value tests can assert on.
 */
import { EventIdDigest } from '../../../shared/event.ts';

export const ZONES = ['raw', 'readings', 'latest', 'notifications', 'dlq'] as const;
export type Zone = (typeof ZONES)[number];

export interface Difference {
  readonly zone: Zone;
  /** Short, stable name of the check (`manifest_rows`, `missing_reading`, `unpublished`, …). */
  readonly check: string;
  /** What it is about: an object key, `asset_id sk`, a notification id, a DLQ entry id. */
  readonly subject: string;
  readonly detail: string;
}

/** One reading as verify names it. */
export interface ReadingRef {
  readonly event_id: string;
  readonly asset_id: string;
  readonly measurement: string;
  readonly ts: string;
  readonly value?: number;
}

/** `YYYY-MM-DD` of a canonical time: readings are compared day by day. */
export function dayOf(ts: string): string {
  return ts.slice(0, 10);
}

export function describeReading(r: ReadingRef): string {
  return `${r.asset_id} ${r.measurement} at ${r.ts} (event ${r.event_id}${r.value === undefined ? '' : `, value ${r.value}`})`;
}

/** Count and digest of a set of event ids, per day and in all. */
export class DayDigests {
  readonly days = new Map<string, EventIdDigest>();
  readonly total = new EventIdDigest();

  add(day: string, eventId: string): void {
    let d = this.days.get(day);
    if (!d) this.days.set(day, (d = new EventIdDigest()));
    d.add(eventId);
    this.total.add(eventId);
  }

  /** Days whose count or digest differ between the two (either side may lack the day). */
  differingDays(other: DayDigests, include: (day: string) => boolean = () => true): string[] {
    const all = new Set([...this.days.keys(), ...other.days.keys()]);
    return [...all]
      .filter(include)
      .filter((day) => !sameDigest(this.days.get(day), other.days.get(day)))
      .sort();
  }

  /** The total over the included days only. */
  totalOf(include: (day: string) => boolean): EventIdDigest {
    const out = new EventIdDigest();
    for (const [day, d] of this.days) if (include(day)) out.merge(d);
    return out;
  }
}

export function sameDigest(a: EventIdDigest | undefined, b: EventIdDigest | undefined): boolean {
  return (a?.count ?? 0) === (b?.count ?? 0) && (a?.toString() ?? '0'.repeat(16)) === (b?.toString() ?? '0'.repeat(16));
}
