import { describe, expect, it } from 'vitest';
import {
  emissionOrder,
  latestUpdate,
  readingItem,
  readingOrder,
  readingSortKey,
} from '../../src/consumers/state/items.ts';
import { seriesKeyCondition, timeBound } from '../../src/consumers/state/queries.ts';
import { compareEmission } from '../../src/shared/event.ts';
import { readingEvent } from '../support/reading-events.ts';

describe('emissionOrder', () => {
  it('sorts as compareEmission does, including keys that are prefixes of others and multi-digit lines', () => {
    const emissions = [
      { ingested_at: '2025-08-14T00:00:00.000Z', source_key: 'raw/a.csv', source_line: 10 },
      { ingested_at: '2025-08-14T00:00:00.000Z', source_key: 'raw/a.csv', source_line: 9 },
      { ingested_at: '2025-08-14T00:00:00.000Z', source_key: 'raw/a.csv.gz', source_line: 2 },
      { ingested_at: '2025-08-14T00:00:00.000Z', source_key: 'raw/a', source_line: 2 },
      { ingested_at: '2025-08-14T00:00:00.000Z', source_key: 'raw/ä.csv', source_line: 2 },
      { ingested_at: '2025-08-13T23:59:59.999Z', source_key: 'raw/z.csv', source_line: 99 },
    ];
    const byCompare = [...emissions].sort(compareEmission);
    const byOrder = [...emissions].sort((x, y) => (emissionOrder(x) < emissionOrder(y) ? -1 : 1));
    expect(byOrder).toEqual(byCompare);
  });

  it('puts time before emission for latest', () => {
    const early = readingEvent({
      substation: 'A',
      ts: '2025-08-14T00:00:00Z',
      value: 1,
      ingestedAt: '2025-09-01T00:00:00Z',
    });
    const late = readingEvent({
      substation: 'A',
      ts: '2025-08-14T00:10:00Z',
      value: 1,
      ingestedAt: '2025-08-15T00:00:00Z',
    });
    expect(readingOrder(early) < readingOrder(late)).toBe(true);
  });
});

describe('item layouts', () => {
  const e = readingEvent({
    substation: 'LV123',
    feeder: '05',
    ts: '2025-08-14T15:00:00Z',
    value: 42.7,
    measurement: 'l3_reactive_power',
  });

  it('keys readings by asset and <ts>#<measurement>, with an expiry only when a TTL is set', () => {
    expect(readingSortKey(e.ts, e.measurement)).toBe('2025-08-14T15:00:00.000Z#l3_reactive_power');
    expect(readingItem(e)).not.toHaveProperty('expires_at');
    expect(readingItem(e, 30).expires_at).toBe(Date.parse('2025-08-14T15:00:00Z') / 1000 + 30 * 86_400);
  });

  it('writes latest with flat conditions: the reading at or above what is held, the high-water mark never lowered', () => {
    const u = latestUpdate(
      { asset_id: e.asset_id, measurement: e.measurement },
      { reading: e, readingsHw: emissionOrder(e) },
    );
    expect(u.Key).toEqual({ asset_id: 'LV123:05', measurement: 'l3_reactive_power' });
    expect(u.ConditionExpression).toBe(
      '(attribute_not_exists(#lo) OR #lo <= :lo) AND (attribute_not_exists(#hw) OR #hw <= :hw)',
    );
    expect(u.ExpressionAttributeValues[':lo']).toBe(readingOrder(e));
    expect(Object.values(u.ExpressionAttributeNames)).not.toContain('asset_id');
    expect(latestUpdate({ asset_id: 'a', measurement: 'm' }, { readingsHw: 'x' }).UpdateExpression).toBe(
      'SET #hw = :hw',
    );
    expect(() => latestUpdate({ asset_id: 'a', measurement: 'm' }, {})).toThrow(RangeError);
  });
});

describe('series queries', () => {
  it('uses begins_with for one prefix, as in the owner’s document, and inclusive prefix ranges otherwise', () => {
    expect(seriesKeyCondition({ from: '2025-08-14', to: '2025-08-14' })).toEqual({
      expression: 'asset_id = :a AND begins_with(sk, :p)',
      values: { ':p': '2025-08-14' },
    });
    expect(seriesKeyCondition({ from: '2025-08-14', to: '2025-08-15' }).values).toEqual({
      ':f': '2025-08-14',
      ':t': '2025-08-15\uffff',
    });
    expect(seriesKeyCondition({}).expression).toBe('asset_id = :a');
  });

  it('takes canonical prefixes as they are and converts zoned times', () => {
    expect(timeBound('2025-08-14T15', '--from')).toBe('2025-08-14T15');
    expect(timeBound('2025-08-14T16:00:00+01:00', '--from')).toBe('2025-08-14T15:00:00.000Z');
    expect(() => timeBound('yesterday', '--from')).toThrow(/--from must be a time/);
    expect(() => timeBound('2025-08-14 15:00', '--to')).toThrow(/--to/);
  });
});
