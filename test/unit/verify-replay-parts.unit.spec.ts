/**
 * The pure parts around replay and backfill: how times and projections are spelt,
 * batches as the event source mapping makes them, backfill's pacing and clock, and a
 * rebuild not announcing a notification twice.
 */
import { describe, expect, it } from 'vitest';
import type { StreamRecord } from '../../src/shared/kinesis/shard-reader.ts';
import { clockFrom, ReadingPace, requestEntriesFor } from '../../src/ops/replay/backfill.ts';
import { shardTargetsOf } from '../../src/ops/replay/catch-up.ts';
import { ReplayOptionError } from '../../src/ops/replay/errors.ts';
import { parseInstant, parseProjections, parseRate } from '../../src/ops/replay/options.ts';
import { invocationBatches } from '../../src/ops/replay/projections.ts';
import { notAnnouncedAgain } from '../../src/ops/replay/rebuild.ts';

const NOW = new Date('2025-09-01T12:00:00.000Z');

describe('replay options', () => {
  it('reads times as instants: trim-horizon, now, a duration ago, a date, a time with or without a zone', () => {
    expect(parseInstant('trim-horizon', '--from', NOW).getTime()).toBe(0);
    expect(parseInstant('TRIM_HORIZON', '--from', NOW).getTime()).toBe(0);
    expect(parseInstant('now', '--to', NOW)).toEqual(NOW);
    expect(parseInstant('90m', '--from', NOW).toISOString()).toBe('2025-09-01T10:30:00.000Z');
    expect(parseInstant('7d', '--from', NOW).toISOString()).toBe('2025-08-25T12:00:00.000Z');
    expect(parseInstant('2025-08-14', '--from', NOW).toISOString()).toBe('2025-08-14T00:00:00.000Z');
    expect(parseInstant('2025-08-14T16:00:00+01:00', '--from', NOW).toISOString()).toBe('2025-08-14T15:00:00.000Z');
    expect(parseInstant('2025-08-14T15:00', '--from', NOW).toISOString()).toBe('2025-08-14T15:00:00.000Z');
    expect(() => parseInstant('yesterday', '--from', NOW)).toThrow(ReplayOptionError);
    expect(() => parseInstant('2025-13-45', '--to', NOW)).toThrow(/--to must be a time/);
  });

  it('reads projections: all, one, or a list', () => {
    expect(parseProjections('all')).toEqual(['state', 'anomaly', 'lake']);
    expect(parseProjections('lake')).toEqual(['lake']);
    expect(parseProjections('state, anomaly,state')).toEqual(['state', 'anomaly']);
    expect(() => parseProjections('state,alerts')).toThrow(/--projection must be all or any of state, anomaly, lake/);
    expect(parseRate(undefined)).toBeUndefined();
    expect(parseRate('250')).toBe(250);
    expect(() => parseRate('0')).toThrow(/--rate/);
  });
});

describe('replay batches', () => {
  const record = (i: number, bytes: number): StreamRecord => ({
    sequenceNumber: String(i),
    partitionKey: 'LV1',
    data: new Uint8Array(bytes),
    arrival: NOW,
  });

  it('cuts batches at the batch size and at the invocation payload limit, in order', () => {
    const small = Array.from({ length: 7 }, (_, i) => record(i, 100));
    expect(invocationBatches(small, 3).map((b) => b.map((r) => r.sequenceNumber))).toEqual([
      ['0', '1', '2'],
      ['3', '4', '5'],
      ['6'],
    ]);
    // 1 MiB records: base64 makes each ~1.4 MB, so four fit under 6 MiB
    const big = Array.from({ length: 9 }, (_, i) => record(i, 1024 * 1024));
    expect(invocationBatches(big, 500).map((b) => b.length)).toEqual([4, 4, 1]);
  });

  it('merges the per-shard targets of several manifests, highest sequence number first', () => {
    expect(
      shardTargetsOf([
        { kinesis: { shards: { a: '9', b: '100' } } },
        { kinesis: { shards: { a: '10', c: '1' } } },
      ] as never),
    ).toEqual({ a: '10', b: '100', c: '1' });
  });
});

describe('backfill', () => {
  it('paces readings so that none goes before its share of time, the first request at once', async () => {
    let now = 1_000;
    const waits: number[] = [];
    const pace = new ReadingPace(
      100,
      () => now,
      async (ms) => {
        waits.push(ms);
        now += ms;
      },
    );
    await pace.take(50);
    await pace.take(50);
    await pace.take(100);
    await pace.take(10);
    expect(waits).toEqual([500, 500, 1000]);
    expect(now - 1_000).toBe(2_000);
  });

  it('sizes throttled requests to a quarter second of readings, in whole records', () => {
    expect(requestEntriesFor(100)).toBe(1);
    expect(requestEntriesFor(24_000)).toBe(100);
    expect(requestEntriesFor(10_000_000)).toBe(500);
  });

  it('stamps the first split time exactly, then runs at the real pace', () => {
    let real = 5_000;
    const clock = clockFrom(Date.parse('2025-09-01T00:00:00.000Z'), () => real);
    expect(clock().toISOString()).toBe('2025-09-01T00:00:00.000Z');
    real += 1_234;
    expect(clock().toISOString()).toBe('2025-09-01T00:00:01.234Z');
  });
});

describe('rebuild', () => {
  it('does not announce again a notification published before the rebuild', async () => {
    const sent: string[] = [];
    const publisher = {
      publish: async (m: { body: string }) => (sent.push(m.body), { messageId: `new-${sent.length}` }),
    };
    let reused = 0;
    const p = notAnnouncedAgain(publisher, new Map([['n1', 'm-old']]), () => reused++);
    const message = (id: string) => ({ subject: 's', body: JSON.stringify({ notification_id: id }), attributes: {} });
    expect(await p.publish(message('n1'))).toEqual({ messageId: 'm-old' });
    expect(await p.publish(message('n2'))).toEqual({ messageId: 'new-1' });
    expect(sent).toEqual([JSON.stringify({ notification_id: 'n2' })]);
    expect(reused).toBe(1);
  });
});
