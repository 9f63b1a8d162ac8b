/**
 * The pure parts of verify: the raw zone's accounts, readings read whatever the item
 * layout, day digests and the naming of differences, `latest`, notifications, the
 * DLQ, and the lake digest Athena computes in halves.
 */
import { describe, expect, it } from 'vitest';
import { readingSortKey } from '../../src/consumers/state/items.ts';
import type { DlqEntry } from '../../src/local/dlq.ts';
import { digestOfHalves } from '../../src/ops/replay/verify/lake.ts';
import { checkLatest, type LatestItem } from '../../src/ops/replay/verify/latest.ts';
import { DayDigests, type ReadingRef } from '../../src/ops/replay/verify/model.ts';
import { checkAwsDlqs, checkLocalDlq, checkNotifications } from '../../src/ops/replay/verify/outbox.ts';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { checkRawZone, countEntries, type RawZoneFacts } from '../../src/ops/replay/verify/raw-zone.ts';
import { readingsOfItem, type NewestReading } from '../../src/ops/replay/verify/table.ts';
import { monthsOf, nameDifferences, NAMED_READINGS_MAX } from '../../src/ops/replay/verify/verify.ts';
import { eventIdOf, EventIdDigest } from '../../src/shared/event.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import { quarantinePartKeyOf } from '../../src/shared/quarantine.ts';

const KEY = 'raw/prod/lv/y=2025/m=08/a.csv';

function manifest(over: Partial<Manifest> = {}): Manifest {
  return {
    manifest_version: 1,
    source: { bucket: 'b', key: KEY, etag: 'e1', size_bytes: 10, gzip: false },
    format: 'lv_long',
    header: [],
    rows_read: 10,
    rows_accepted: 8,
    rows_quarantined: 2,
    quarantine_reasons: { non_numeric: 1, bad_timestamp: 1 },
    rows_without_readings: 0,
    events_emitted: 8,
    event_id_digest: '0000000000000000',
    first_reading_ts: '2025-08-01T00:00:00.000Z',
    last_reading_ts: '2025-08-01T01:00:00.000Z',
    quarantine: { key: `quarantine/${KEY}.jsonl`, entries: 2 },
    stopped_early: null,
    kinesis: {
      stream: 's',
      records: 1,
      user_records: 8,
      event_bytes: 1,
      payload_bytes: 1,
      put_payload_units: 1,
      billed_bytes_on_demand: 1,
      put_requests: 1,
      retried_entries: 0,
      shards: {},
    },
    ingested_at: '2025-09-01T00:00:00.000Z',
    started_at: '2025-09-01T00:00:00.000Z',
    finished_at: '2025-09-01T00:00:01.000Z',
    duration_ms: 1000,
    ...over,
  };
}

function facts(
  m: Manifest,
  quarantine: RawZoneFacts['quarantine'] = new Map([
    [`quarantine/${KEY}.jsonl`, { lines: 2, rowEntries: 2, unreadable: 0 }],
  ]),
): RawZoneFacts {
  return { objects: [{ key: KEY, etag: 'e1' }], manifests: new Map([[KEY, m]]), unreadableManifests: [], quarantine };
}

const checks = (diffs: readonly { check: string }[]): string[] => diffs.map((d) => d.check);

describe('the raw zone', () => {
  it('holds when every object is split and every manifest adds up with its quarantine', () => {
    expect(checkRawZone(facts(manifest()))).toEqual([]);
  });

  it('names an object without a manifest, a manifest of an earlier upload and one whose raw object is gone', () => {
    const f = facts(manifest());
    expect(checks(checkRawZone({ ...f, manifests: new Map() }))).toEqual(['not_split']);
    expect(checkRawZone({ ...f, objects: [{ key: KEY, etag: 'e2' }] })).toEqual([
      expect.objectContaining({ check: 'manifest_outdated', subject: KEY, detail: expect.stringContaining('e2') }),
    ]);
    expect(checks(checkRawZone({ ...f, objects: [] }))).toEqual(['raw_missing']);
  });

  it('names a manifest that does not add up, and a quarantine object that does not match it', () => {
    expect(checkRawZone(facts(manifest({ rows_accepted: 7 })))).toEqual([
      expect.objectContaining({
        check: 'manifest_rows',
        detail: 'rows_read 10 ≠ rows_accepted 7 + rows_quarantined 2',
      }),
    ]);
    expect(checks(checkRawZone(facts(manifest({ quarantine_reasons: { non_numeric: 1 } }))))).toEqual([
      'manifest_reasons',
    ]);
    expect(
      checks(
        checkRawZone(
          facts(manifest(), new Map([[`quarantine/${KEY}.jsonl`, { lines: 1, rowEntries: 1, unreadable: 0 }]])),
        ),
      ),
    ).toEqual(['quarantine_entries', 'quarantine_entries']);
    expect(checks(checkRawZone(facts(manifest(), new Map())))).toEqual(['quarantine_missing']);
  });

  it('adds up the quarantine objects of a split that took several invocations, one per part', () => {
    const first = `quarantine/${KEY}.jsonl`;
    const third = quarantinePartKeyOf(KEY, 3);
    const parts = manifest({ parts: 3, quarantine: { key: first, entries: 2, keys: [first, third] } });
    const one = { lines: 1, rowEntries: 1, unreadable: 0 };
    expect(
      checkRawZone(
        facts(
          parts,
          new Map([
            [first, one],
            [third, one],
          ]),
        ),
      ),
    ).toEqual([]);
    // one part's object alone is not the split's quarantine, and a missing part is named
    expect(checks(checkRawZone(facts(parts, new Map([[first, { ...one, lines: 2, rowEntries: 2 }]]))))).toEqual([
      'quarantine_missing',
    ]);
    expect(checkRawZone(facts(parts, new Map([[first, one]])))[0]?.detail).toContain(third);
    expect(
      checks(
        checkRawZone(
          facts(
            parts,
            new Map([
              [first, one],
              [third, { lines: 2, rowEntries: 2, unreadable: 0 }],
            ]),
          ),
        ),
      ),
    ).toEqual(['quarantine_entries', 'quarantine_entries']);
  });

  it('counts an entry about the whole object in the entries but not among the rows', () => {
    const whole = manifest({
      rows_read: 5,
      rows_accepted: 5,
      rows_quarantined: 0,
      quarantine_reasons: {},
      quarantine: { key: `quarantine/${KEY}.jsonl`, entries: 1 },
    });
    const body = `${JSON.stringify({ reason: 'corrupt_body', line: null })}\n`;
    expect(countEntries(body)).toEqual({ lines: 1, rowEntries: 0, unreadable: 0 });
    expect(checkRawZone(facts(whole, new Map([[`quarantine/${KEY}.jsonl`, countEntries(body)]])))).toEqual([]);
    expect(countEntries('{"reason":"non_numeric","line":4}\nnot json\n\n')).toEqual({
      lines: 2,
      rowEntries: 1,
      unreadable: 1,
    });
  });
});

describe('readings in the table', () => {
  const ts = '2025-08-01T00:10:00.000Z';
  const id = eventIdOf('S1:01', 'l1_voltage', ts);

  it('reads one reading per item', () => {
    const single = readingsOfItem({
      asset_id: 'S1:01',
      sk: readingSortKey(ts, 'l1_voltage'),
      event_id: id,
      measurement: 'l1_voltage',
      ts,
      value: 231,
    });
    expect(single).toEqual([{ ref: expect.objectContaining({ event_id: id, value: 231 }) }]);
  });

  it('derives a reading from the key alone, and names one whose event id or sort key contradicts it', () => {
    expect(readingsOfItem({ asset_id: 'S1:01', sk: readingSortKey(ts, 'l1_voltage') })).toEqual([
      { ref: expect.objectContaining({ event_id: id, ts, measurement: 'l1_voltage' }) },
    ]);
    expect(
      readingsOfItem({ asset_id: 'S1:01', sk: readingSortKey(ts, 'l1_voltage'), event_id: 'f'.repeat(32) }),
    ).toEqual([expect.objectContaining({ problem: expect.stringContaining('not the one its natural key gives') })]);
    expect(readingsOfItem({ asset_id: 'S1:01', sk: 'x', event_id: id, measurement: 'l1_voltage', ts })).toEqual([
      expect.objectContaining({ problem: expect.stringContaining('sort key') }),
    ]);
    expect(readingsOfItem({ sk: 'x' })).toEqual({ problem: 'the item has no asset_id' });
  });
});

describe('day digests and named differences', () => {
  const ref = (n: number, day = '2025-08-01'): ReadingRef => {
    const ts = `${day}T00:${String(n).padStart(2, '0')}:00.000Z`;
    return {
      event_id: eventIdOf('S1', 'total_active_power', ts),
      asset_id: 'S1',
      measurement: 'total_active_power',
      ts,
      value: n,
    };
  };

  it('finds the days whose count or digest differ, either side lacking the day', () => {
    const a = new DayDigests();
    const b = new DayDigests();
    for (const r of [ref(1), ref(2), ref(3, '2025-08-02')]) a.add(r.ts.slice(0, 10), r.event_id);
    for (const r of [ref(1), ref(4), ref(5, '2025-08-03')]) b.add(r.ts.slice(0, 10), r.event_id);
    expect(a.differingDays(b)).toEqual(['2025-08-01', '2025-08-02', '2025-08-03']);
    expect(a.differingDays(b, (d) => d > '2025-08-01')).toEqual(['2025-08-02', '2025-08-03']);
    expect(a.totalOf((d) => d === '2025-08-01').count).toBe(2);
  });

  it('names each missing and unexpected reading by its item key, and counts beyond the cap', () => {
    const want = new Map([ref(1), ref(2)].map((r) => [r.event_id, r]));
    const have = new Map([ref(1), ref(3)].map((r) => [r.event_id, r]));
    expect(nameDifferences('table', have, want, 'lake')).toEqual([
      {
        zone: 'readings',
        check: 'missing_from_table',
        subject: `S1 ${readingSortKey(ref(2).ts, 'total_active_power')}`,
        detail: expect.stringContaining(
          `the readings table lacks a reading the lake holds: S1 total_active_power at ${ref(2).ts}`,
        ),
      },
      {
        zone: 'readings',
        check: 'unexpected_in_table',
        subject: `S1 ${readingSortKey(ref(3).ts, 'total_active_power')}`,
        detail: expect.stringContaining('never emitted'),
      },
    ]);
    const many = new Map(
      Array.from({ length: NAMED_READINGS_MAX + 3 }, (_, i) =>
        ref(i % 60, `2025-08-${String(1 + Math.floor(i / 60)).padStart(2, '0')}`),
      ).map((r) => [r.event_id, r]),
    );
    const named = nameDifferences('lake', new Map(), many, 'raw');
    expect(named).toHaveLength(NAMED_READINGS_MAX + 1);
    expect(named.at(-1)).toMatchObject({ subject: 'lake (3 more)' });
  });

  it('gets the same digest from summed 32-bit halves as from EventIdDigest', () => {
    const ids = Array.from({ length: 500 }, (_, i) => eventIdOf(`S${i}`, 'l1_voltage', '2025-08-01T00:00:00.000Z'));
    const direct = new EventIdDigest();
    let hi = 0n;
    let lo = 0n;
    for (const id of ids) {
      direct.add(id);
      hi += BigInt(`0x${id.slice(0, 8)}`);
      lo += BigInt(`0x${id.slice(8, 16)}`);
    }
    expect(digestOfHalves(hi, lo, ids.length).toString()).toBe(direct.toString());
    expect(EventIdDigest.parse(direct.toString(), 500).merge(EventIdDigest.parse('0000000000000001')).toString()).toBe(
      (BigInt(`0x${direct.toString()}`) + 1n).toString(16).padStart(16, '0'),
    );
    expect(() => EventIdDigest.parse('xyz')).toThrow(/16 hex digits/);
  });

  it('lists the months the readings span', () => {
    expect(
      monthsOf([
        ['2025-11-30T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
        [null, null],
      ]),
    ).toEqual(['2025-11', '2025-12', '2026-01']);
    expect(monthsOf([])).toEqual([]);
  });
});

describe('latest', () => {
  const newest = (over: Partial<NewestReading> = {}): NewestReading => ({
    event_id: 'e2',
    asset_id: 'S1:01',
    measurement: 'l1_voltage',
    ts: '2025-08-01T00:20:00.000Z',
    value: 232,
    ingested_at: '2025-09-01T00:00:00.000Z',
    source_key: 'k',
    source_line: 3,
    ...over,
  });
  const item = (over: Partial<LatestItem> = {}): LatestItem => ({
    asset_id: 'S1:01',
    measurement: 'l1_voltage',
    event_id: 'e2',
    ts: '2025-08-01T00:20:00.000Z',
    value: 232,
    ingested_at: '2025-09-01T00:00:00.000Z',
    source_key: 'k',
    source_line: 3,
    ...over,
  });
  const series = new Map([['S1:01\u0000l1_voltage', newest()]]);

  it('holds when each series holds its newest reading', () => {
    expect(checkLatest([item()], series)).toEqual([]);
  });

  it('names a stale, a missing and an orphan latest item', () => {
    expect(checkLatest([item({ event_id: 'e1', ts: '2025-08-01T00:10:00.000Z', value: 231 })], series)).toEqual([
      expect.objectContaining({
        check: 'stale_latest',
        subject: 'S1:01 l1_voltage',
        detail: expect.stringContaining('event_id "e1", ts "2025-08-01T00:10:00.000Z", value 231'),
      }),
    ]);
    expect(checks(checkLatest([item({ ingested_at: '2025-08-31T00:00:00.000Z' })], series))).toEqual(['stale_latest']);
    expect(checks(checkLatest([], series))).toEqual(['missing_latest']);
    expect(checks(checkLatest([item(), item({ measurement: 'l2_voltage' })], series))).toEqual(['orphan_latest']);
    expect(
      checkLatest([item(), item({ measurement: 'l2_voltage', ts: '2025-07-01T00:00:00.000Z' })], series, {
        expiredBefore: '2025-07-15T00:00:00.000Z',
      }),
    ).toEqual([]);
  });
});

describe('notifications and DLQs', () => {
  const n = (id: string, sk: string, published = true) => ({
    notification_id: id,
    asset_id: 'S1',
    sk,
    subject: `[warning] ${id}`,
    stored_at: '2025-09-01T00:00:00.000Z',
    ...(published ? { published_at: '2025-09-01T00:00:01.000Z' } : {}),
  });

  it('names a notification never published and one stored twice', () => {
    expect(checkNotifications([n('a', 'notification#1#a'), n('b', 'notification#2#b')])).toEqual([]);
    expect(
      checkNotifications([n('a', 'notification#1#a', false), n('b', 'notification#2#b'), n('b', 'notification#3#b')]),
    ).toEqual([
      expect.objectContaining({ check: 'unpublished', subject: 'a' }),
      expect.objectContaining({
        check: 'duplicate_notification',
        subject: 'b',
        detail: 'stored 2 times: S1 notification#2#b, S1 notification#3#b',
      }),
    ]);
  });

  it('lists each DLQ entry', () => {
    const entry: DlqEntry = {
      id: 'abc',
      source: 'state',
      created_at: '2025-09-01T00:00:00.000Z',
      error: 'boom',
      condition: 'retries_exhausted',
      attempts: 4,
      payload: {
        kind: 'kinesis',
        stream: 's',
        shard_id: 'shardId-000000000001',
        start_sequence_number: '1',
        end_sequence_number: '9',
        records: 3,
      },
    };
    expect(checkLocalDlq([entry])).toEqual([
      {
        zone: 'dlq',
        check: 'dlq_entry',
        subject: 'abc',
        detail:
          'state: 3 record(s) of shardId-000000000001 from 1 to 9, retries_exhausted after 4 attempt(s) at 2025-09-01T00:00:00.000Z: boom',
      },
    ]);
  });
});

describe('the DLQs on AWS (an SQS client that answers like SQS; no emulator here)', () => {
  const sqsAnswering = (depths: Record<string, number | Error>) =>
    ({
      send: async (command: unknown) => {
        if (command instanceof GetQueueUrlCommand) {
          const depth = depths[command.input.QueueName ?? ''];
          if (depth instanceof Error) throw depth;
          return { QueueUrl: `https://sqs.eu-west-2.amazonaws.com/1/${command.input.QueueName}` };
        }
        if (command instanceof GetQueueAttributesCommand) {
          const name = (command.input.QueueUrl ?? '').split('/').pop() ?? '';
          return {
            Attributes: {
              ApproximateNumberOfMessages: String(depths[name]),
              ApproximateNumberOfMessagesNotVisible: '1',
            },
          };
        }
        throw new Error('unexpected command');
      },
    }) as unknown as SQSClient;

  it('sums the messages, lists each queue holding some, and counts a queue it cannot read as a difference', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: sqs:getqueueurl\nmore'), {
      name: 'AccessDenied',
    });
    const result = await checkAwsDlqs(
      sqsAnswering({ 'dubegrid-splitter-dlq': 0, 'dubegrid-state-dlq': 2, 'dubegrid-anomaly-dlq': denied }),
      ['splitter', 'state', 'anomaly'],
    );
    expect(result.messages).toBe(1 + 3);
    expect(result.differences.map((d) => [d.check, d.subject])).toEqual([
      ['dlq_messages', 'dubegrid-splitter-dlq'],
      ['dlq_messages', 'dubegrid-state-dlq'],
      ['dlq_unreadable', 'dubegrid-anomaly-dlq'],
    ]);
    expect(result.differences[2]?.detail).toBe(
      'could not read the DLQ of anomaly: User is not authorized to perform: sqs:getqueueurl',
    );
  });
});
