/**
 * `dubegrid verify`: reconciliation across every zone (issue 7):
 *
 * - raw: every object split, every manifest adding up, its quarantine object holding
 *   exactly its quarantined rows (`raw-zone.ts`);
 * - readings: emitted (the manifests' counts and digests) = readings in `readings` =
 *   distinct event ids in the lake, compared as counts and `EventIdDigest`s day by day;
 *   natural-key duplicates and corrections are told apart by splitting the raw objects
 *   again in memory, which is needed only when the manifests' sums differ from both the
 *   table and the lake (`emitted.ts`); every day that differs is read reading by reading
 *   and each missing or unexpected reading is named;
 * - latest: the newest reading of every series (`latest.ts`);
 * - notifications: all published, none stored twice; DLQs empty or listed (`outbox.ts`).
 *
 * The run holds when the list of differences is empty.
 */
import { readingSortKey } from '../../../consumers/state/items.ts';
import { AlertStore } from '../../../consumers/anomaly/store/alert-store.ts';
import { LocalDlq } from '../../../local/dlq.ts';
import { EventIdDigest } from '../../../shared/event.ts';
import { DLQ_SOURCES } from '../../../shared/resources.ts';
import { readSettings } from '../../../shared/settings.ts';
import type { OpsEnvironment } from '../environment.ts';
import { checkLatest, scanLatest } from './latest.ts';
import { openLakeReader } from './lake.ts';
import { splitAgain, type EmittedReadings } from './emitted.ts';
import { describeReading, sameDigest, type DayDigests, type Difference, type ReadingRef } from './model.ts';
import { checkAwsDlqs, checkLocalDlq, checkNotifications } from './outbox.ts';
import { checkRawZone, readRawZone } from './raw-zone.ts';
import { scanReadings, tableReadingsOfDays } from './table.ts';
import { FIREHOSE_CONVERSION } from '../../../shared/glue.ts';

/** Readings named one by one per side and kind; beyond it, a count. */
export const NAMED_READINGS_MAX = 50;

export interface VerifyOptions {
  readonly now?: Date;
  readonly progress?: (line: string) => void;
}

export interface DigestFigure {
  readonly readings: number;
  readonly digest: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly checked_at: string;
  readonly raw: {
    readonly objects: number;
    readonly manifests: number;
    readonly rows_read: number;
    readonly rows_quarantined: number;
    readonly quarantine_entries: number;
  };
  readonly readings: {
    /** The manifests' sums: every emission. */
    readonly emitted: DigestFigure;
    /** Distinct readings the zones must hold (emitted less duplicates and corrections). */
    readonly expected: DigestFigure;
    readonly duplicates: number;
    readonly corrections: number;
    readonly duplicate_examples: readonly string[];
    readonly table: DigestFigure & { readonly items: number; readonly compared_from_day?: string };
    readonly lake: DigestFigure;
    /** What the expected readings were taken from: the lake or the table when they match the manifests, else the raw objects split again. */
    readonly reference: 'lake' | 'table' | 'raw';
  };
  readonly latest: { readonly items: number; readonly series: number };
  readonly notifications: { readonly stored: number; readonly unpublished: number };
  readonly dlq: { readonly entries: number };
  readonly differences: readonly Difference[];
  readonly notes: readonly string[];
}

interface Side {
  readonly name: 'table' | 'lake';
  readonly digests: DayDigests;
  readonly include: (day: string) => boolean;
  readingsOfDays(days: ReadonlySet<string>): Promise<Map<string, ReadingRef>>;
}

export async function verify(envt: OpsEnvironment, options: VerifyOptions = {}): Promise<VerifyReport> {
  const now = options.now ?? new Date();
  const say = options.progress ?? (() => undefined);
  const { clients } = envt;
  const differences: Difference[] = [];
  const notes: string[] = [];

  say('verify: reading the raw zone, its manifests and quarantine…');
  const raw = await readRawZone(clients.s3, clients.names.bucket);
  differences.push(...checkRawZone(raw));
  const manifests = [...raw.manifests.values()];
  const emitted = new EventIdDigest();
  for (const m of manifests) emitted.merge(EventIdDigest.parse(m.event_id_digest, m.events_emitted));

  say('verify: scanning the readings table…');
  const table = await scanReadings(clients.doc, clients.names.tables.readings);
  differences.push(...table.problems);
  const settings = readSettings(envt.env);
  const ttlDays = settings.readingsTtlDays;
  const expiredBefore =
    ttlDays === undefined ? undefined : new Date(now.getTime() - ttlDays * 86_400_000).toISOString();
  // a day that may have partly expired is not compared: only whole days after it
  const tableDay = (day: string): boolean => expiredBefore === undefined || day > expiredBefore.slice(0, 10);
  if (expiredBefore)
    notes.push(`readings TTL ${ttlDays} days: the readings table is compared from ${nextDay(expiredBefore)} on`);
  // Locally `flush` writes the lake's buffers out first; Firehose cannot be asked to.
  if (!envt.paths) {
    notes.push(
      `Firehose holds up to ${FIREHOSE_CONVERSION.buffering.intervalSeconds} s of readings before they reach the lake: readings missing from the lake right after an ingest or rebuild may only be buffered — run verify again after that`,
    );
  }

  say('verify: reading the lake…');
  const months = monthsOf(manifests.map((m) => [m.first_reading_ts, m.last_reading_ts]));
  const lake = await openLakeReader(clients, envt.paths?.cache, months);
  try {
    const lakeDigests = await lake.digests();
    const tableSide: Side = {
      name: 'table',
      digests: table.digests,
      include: tableDay,
      readingsOfDays: (days) => tableReadingsOfDays(clients.doc, days, clients.names.tables.readings),
    };
    const lakeSide: Side = {
      name: 'lake',
      digests: lakeDigests,
      include: () => true,
      readingsOfDays: (days) => lake.readingsOfDays(days),
    };

    // The reference: a zone whose sums equal the manifests' (then nothing was emitted twice), else the raw objects split again.
    let reference: 'lake' | 'table' | 'raw';
    let refDigests: DayDigests;
    let refReadings: (days: ReadonlySet<string>) => Promise<Map<string, ReadingRef>>;
    let again: EmittedReadings | undefined;
    if (sameDigest(emitted, lakeDigests.total)) {
      reference = 'lake';
      refDigests = lakeDigests;
      refReadings = lakeSide.readingsOfDays;
    } else if (!expiredBefore && sameDigest(emitted, table.digests.total)) {
      reference = 'table';
      refDigests = table.digests;
      refReadings = tableSide.readingsOfDays;
    } else {
      say(
        "verify: the zones differ from the manifests' sums; splitting the raw objects again to see what was emitted…",
      );
      again = await splitAgain(clients.s3, manifests, settings.sourceTimeZone);
      differences.push(...again.problems);
      reference = 'raw';
      refDigests = again.digests;
      const e = again;
      refReadings = async (days) => e.readingsOfDays(days);
    }
    for (const side of [tableSide, lakeSide]) {
      if (side.name === reference) continue;
      const days = side.digests.differingDays(refDigests, side.include);
      if (days.length === 0) continue;
      say(
        `verify: the ${side.name === 'table' ? 'readings table' : 'lake'} differs on ${days.length} day(s); naming the readings…`,
      );
      const set = new Set(days);
      const [have, want] = await Promise.all([side.readingsOfDays(set), refReadings(set)]);
      differences.push(...nameDifferences(side.name, have, want, reference));
    }

    say('verify: comparing latest with the newest readings…');
    const latest = await scanLatest(clients.doc, clients.names.tables.latest);
    differences.push(...checkLatest(latest, table.newest, expiredBefore ? { expiredBefore } : {}));

    say('verify: notifications and DLQs…');
    const notifications = await new AlertStore(clients.doc, clients.names.tables.alerts).notifications();
    const notificationDiffs = checkNotifications(notifications);
    differences.push(...notificationDiffs);
    let dlqEntries = 0;
    if (envt.paths) {
      const entries = await new LocalDlq(envt.paths.dlq).list();
      dlqEntries = entries.length;
      differences.push(...checkLocalDlq(entries));
    } else {
      const aws = await checkAwsDlqs(clients.sqs, DLQ_SOURCES);
      dlqEntries = aws.messages;
      differences.push(...aws.differences);
    }

    const expected = again ? again.digests.total : refDigests.total;
    const tableTotal = table.digests.totalOf(tableDay);
    return {
      ok: differences.length === 0,
      checked_at: now.toISOString(),
      raw: {
        objects: raw.objects.length,
        manifests: manifests.length,
        rows_read: sum(manifests.map((m) => m.rows_read)),
        rows_quarantined: sum(manifests.map((m) => m.rows_quarantined)),
        quarantine_entries: sum(manifests.map((m) => m.quarantine.entries)),
      },
      readings: {
        emitted: figure(emitted),
        expected: figure(expected),
        duplicates: again?.duplicates ?? 0,
        corrections: again?.corrections ?? 0,
        duplicate_examples: again?.examples ?? [],
        table: {
          ...figure(tableTotal),
          items: table.items,
          ...(expiredBefore ? { compared_from_day: nextDay(expiredBefore) } : {}),
        },
        lake: figure(lakeDigests.total),
        reference,
      },
      latest: { items: latest.length, series: table.newest.size },
      notifications: {
        stored: notifications.length,
        unpublished: notificationDiffs.filter((d) => d.check === 'unpublished').length,
      },
      dlq: { entries: dlqEntries },
      differences,
      notes,
    };
  } finally {
    await lake.close();
  }
}

/** Each reading one side lacks or holds beyond the reference, named (up to a cap per kind). */
export function nameDifferences(
  side: 'table' | 'lake',
  have: ReadonlyMap<string, ReadingRef>,
  want: ReadonlyMap<string, ReadingRef>,
  reference: string,
): Difference[] {
  const zoneName = side === 'table' ? 'the readings table' : 'the lake';
  const subjectOf = (r: ReadingRef): string =>
    side === 'table' ? `${r.asset_id} ${readingSortKey(r.ts, r.measurement)}` : r.event_id;
  const missing = [...want.values()].filter((r) => !have.has(r.event_id));
  const extra = [...have.values()].filter((r) => !want.has(r.event_id));
  const out: Difference[] = [];
  const list = (readings: ReadingRef[], check: string, what: string): void => {
    for (const r of readings.slice(0, NAMED_READINGS_MAX))
      out.push({ zone: 'readings', check, subject: subjectOf(r), detail: `${what}: ${describeReading(r)}` });
    if (readings.length > NAMED_READINGS_MAX)
      out.push({
        zone: 'readings',
        check,
        subject: `${side} (${readings.length - NAMED_READINGS_MAX} more)`,
        detail: `${readings.length} readings in all; the first ${NAMED_READINGS_MAX} are listed`,
      });
  };
  list(
    missing,
    `missing_from_${side}`,
    `${zoneName} lacks a reading the ${reference === 'raw' ? 'raw objects' : reference} hold${reference === 'raw' ? '' : 's'}`,
  );
  list(extra, `unexpected_in_${side}`, `${zoneName} holds a reading that was never emitted`);
  if (out.length === 0)
    out.push({
      zone: 'readings',
      check: `digest_${side}`,
      subject: side,
      detail: `${zoneName}'s digest differs from the ${reference}'s on some day though no reading is missing or extra (a reading stored under another day?)`,
    });
  return out;
}

function figure(d: EventIdDigest): DigestFigure {
  return { readings: d.count, digest: d.toString() };
}

function sum(ns: readonly number[]): number {
  return ns.reduce((a, b) => a + b, 0);
}

function nextDay(ts: string): string {
  return new Date(Date.parse(`${ts.slice(0, 10)}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** `YYYY-MM` of every month between the earliest and latest reading times given. */
export function monthsOf(spans: readonly (readonly [string | null, string | null])[]): string[] {
  const firsts = spans
    .map(([a]) => a)
    .filter((a): a is string => a !== null)
    .sort();
  const lasts = spans
    .map(([, b]) => b)
    .filter((b): b is string => b !== null)
    .sort();
  const first = firsts[0];
  const last = lasts[lasts.length - 1];
  if (!first || !last) return [];
  const out: string[] = [];
  let y = Number(first.slice(0, 4));
  let m = Number(first.slice(5, 7));
  const endY = Number(last.slice(0, 4));
  const endM = Number(last.slice(5, 7));
  while (y < endY || (y === endY && m <= endM)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}
