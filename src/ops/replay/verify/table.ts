/**
 * The `readings` table as verify reads it: readings, not items. An item holds one
 * reading (the layout in `consumers/state/items.ts`), read from its attributes or, where
 * they are missing, from its key; each reading is checked against its natural key (its
 * `event_id` must be the one the key gives, its sort key the one its time and
 * measurement give).
 *
 * One scan yields the per-day digests and, per series, the newest reading (what
 * `latest` must hold); the event ids of particular days are read by a second scan only
 * when those days disagree with the reference.
 */
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { compareReadings, latestKeyOf, readingSortKey, READING_SK_SEPARATOR } from '../../../consumers/state/items.ts';
import { eventIdOf, type ReadingEvent } from '../../../shared/event.ts';
import { TABLES } from '../../../shared/resources.ts';
import { DayDigests, dayOf, type Difference, type ReadingRef } from './model.ts';

/** The fields of a reading `latest` is compared on. */
export type NewestReading = ReadingRef & Pick<ReadingEvent, 'ingested_at' | 'source_key' | 'source_line'>;

export interface TableScan {
  readonly digests: DayDigests;
  readonly items: number;
  /** By `latestKeyOf`: the newest reading of each series. */
  readonly newest: Map<string, NewestReading>;
  /** Items that are not readings, or readings that contradict their key. */
  readonly problems: Difference[];
}

interface ItemReading {
  readonly ref: NewestReading;
  readonly problem?: string;
}

/** The reading one item holds, with what is wrong with it. */
export function readingsOfItem(item: Record<string, unknown>): ItemReading[] | { readonly problem: string } {
  if (typeof item.asset_id !== 'string') return { problem: 'the item has no asset_id' };
  return [one(item, typeof item.sk === 'string' ? item.sk : undefined)];
}

function one(r: Record<string, unknown>, sk: string | undefined): ItemReading {
  const fromSk = sk ? splitSortKey(sk) : undefined;
  const ts = typeof r.ts === 'string' ? r.ts : fromSk?.ts;
  const measurement = typeof r.measurement === 'string' ? r.measurement : fromSk?.measurement;
  const assetId = r.asset_id as string;
  if (!ts || !measurement) {
    return {
      ref: {
        event_id: String(r.event_id ?? ''),
        asset_id: assetId,
        measurement: measurement ?? '?',
        ts: ts ?? '?',
        ingested_at: '',
        source_key: '',
        source_line: 0,
      },
      problem: 'has no time or measurement',
    };
  }
  const expected = eventIdOf(assetId, measurement, ts);
  const eventId = typeof r.event_id === 'string' ? r.event_id : expected;
  const ref: NewestReading = {
    event_id: eventId,
    asset_id: assetId,
    measurement,
    ts,
    ...(typeof r.value === 'number' ? { value: r.value } : {}),
    ingested_at: typeof r.ingested_at === 'string' ? r.ingested_at : '',
    source_key: typeof r.source_key === 'string' ? r.source_key : '',
    source_line: typeof r.source_line === 'number' ? r.source_line : 0,
  };
  if (eventId !== expected)
    return { ref, problem: `its event_id ${eventId} is not the one its natural key gives (${expected})` };
  if (sk !== undefined && sk !== readingSortKey(ts, measurement))
    return { ref, problem: `its sort key ${sk} does not match its time and measurement` };
  return { ref };
}

/** `<ts>#<measurement>` back into its parts. */
function splitSortKey(sk: string): { ts: string; measurement: string } | undefined {
  const at = sk.indexOf(READING_SK_SEPARATOR);
  return at > 0 ? { ts: sk.slice(0, at), measurement: sk.slice(at + 1) } : undefined;
}

export async function scanReadings(
  doc: DynamoDBDocumentClient,
  table: string = TABLES.readings.tableName,
): Promise<TableScan> {
  const digests = new DayDigests();
  const newest = new Map<string, NewestReading>();
  const problems: Difference[] = [];
  let items = 0;
  await scanItems(doc, table, (item) => {
    items++;
    const subject = `${String(item.asset_id)} ${String(item.sk ?? '')}`.trim();
    const read = readingsOfItem(item);
    if ('problem' in read) {
      problems.push({ zone: 'readings', check: 'bad_item', subject, detail: read.problem });
      return;
    }
    for (const { ref, problem } of read) {
      if (problem) {
        problems.push({ zone: 'readings', check: 'bad_item', subject, detail: `a reading ${problem}` });
        continue;
      }
      digests.add(dayOf(ref.ts), ref.event_id);
      const key = latestKeyOf(ref);
      const held = newest.get(key);
      if (!held || compareReadings(ref, held) > 0) newest.set(key, ref);
    }
  });
  return { digests, items, newest, problems };
}

/** The readings of the given days, by event id (a second scan, for naming differences). */
export async function tableReadingsOfDays(
  doc: DynamoDBDocumentClient,
  days: ReadonlySet<string>,
  table: string = TABLES.readings.tableName,
): Promise<Map<string, ReadingRef>> {
  const out = new Map<string, ReadingRef>();
  await scanItems(doc, table, (item) => {
    const read = readingsOfItem(item);
    if ('problem' in read) return;
    for (const { ref, problem } of read) if (!problem && days.has(dayOf(ref.ts))) out.set(ref.event_id, ref);
  });
  return out;
}

async function scanItems(
  doc: DynamoDBDocumentClient,
  table: string,
  each: (item: Record<string, unknown>) => void,
): Promise<void> {
  for await (const page of paginateScan({ client: doc }, { TableName: table }))
    for (const item of page.Items ?? []) each(item);
}
