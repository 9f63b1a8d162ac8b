/**
 * Units a mapping declares (chargeminder_ndjson's `km`, `bool`) reach every reader of
 * the event: the validator, the bounds, the consumer kit, the anomaly rules, the lake
 * converter. An undeclared unit is still refused everywhere.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { resolveRulesConfig } from '../../src/consumers/anomaly/rules/config.ts';
import { EMPTY_STATE, rulesFor, stepSeries } from '../../src/consumers/anomaly/rules/index.ts';
import { negativeValue } from '../../src/consumers/anomaly/rules/thresholds.ts';
import type { SeriesMeta } from '../../src/consumers/anomaly/rules/types.ts';
import { kinesisConsumer } from '../../src/consumers/kit/consumer.ts';
import { decodeRecord } from '../../src/consumers/kit/decode.ts';
import { rejectOutOfBounds } from '../../src/consumers/anomaly/plan.ts';
import { convertRecord } from '../../src/lake/convert.ts';
import { builtinMappings } from '../../src/producers/splitter/mapping/builtin.ts';
import { checkBounds } from '../../src/shared/bounds.ts';
import { eventIdOf, validateReadingEvent, type ReadingEvent } from '../../src/shared/event.ts';
import { storedUnits, type MappingStore } from '../../src/shared/sources/store.ts';
import { BUILTIN_UNITS } from '../../src/shared/units.ts';

const UNITS = BUILTIN_UNITS.with(
  {
    km: { max_abs: 10_000_000, negative_is_abnormal: true },
    bool: { max_abs: 1, negative_is_abnormal: true, zero_is_abnormal: false },
  },
  'chargeminder_ndjson',
);

function reading(unit: string, value: number, measurement = 'odometer'): ReadingEvent {
  const base = {
    v: 1 as const,
    asset_id: 'EV1:01',
    substation_id: 'EV1',
    substation_name: 'Depot',
    feeder_id: '01',
    measurement,
    phase: null,
    unit,
    value,
    ts: '2025-08-14T15:00:00.000Z',
    source_bucket: 'b',
    source_key: 'raw/prod/ev/y=2025/m=08/cm.ndjson',
    source_etag: 'abc',
    source_line: 1,
    ingested_at: '2025-08-15T00:00:00.000Z',
  };
  return { ...base, event_id: eventIdOf(base.asset_id, base.measurement, base.ts) };
}

function kinesis(body: unknown, seq = '1'): KinesisStreamRecord {
  return {
    eventID: `shardId-0:${seq}`,
    eventSourceARN: 'arn:aws:kinesis:eu-west-2:123456789012:stream/dubegrid-readings',
    kinesis: { sequenceNumber: seq, partitionKey: 'k', data: Buffer.from(JSON.stringify(body)).toString('base64') },
  } as unknown as KinesisStreamRecord;
}

describe('a declared unit', () => {
  it('validates as contract v1 with the registry that declares it, and not without', () => {
    expect(validateReadingEvent(reading('km', 12_345), UNITS).ok).toBe(true);
    expect(validateReadingEvent(reading('bool', 1), UNITS).ok).toBe(true);
    const builtin = validateReadingEvent(reading('km', 12_345));
    expect(builtin.ok).toBe(false);
  });

  it('is bounds-checked by its own bounds and flags', () => {
    expect(checkBounds('km', 12_345, UNITS)).toEqual({ ok: true, abnormal: false });
    expect(checkBounds('km', -1, UNITS)).toEqual({ ok: true, abnormal: true });
    expect(checkBounds('bool', 2, UNITS)).toMatchObject({ ok: false, reason: expect.stringContaining('exceeds 1') });
    expect(checkBounds('km', 1, BUILTIN_UNITS)).toMatchObject({ ok: false });
  });

  it('an unknown unit is still refused by the validator, the bounds, the kit and the lake converter', () => {
    const furlong = reading('furlong', 3);
    expect(validateReadingEvent(furlong, UNITS).ok).toBe(false);
    expect(checkBounds('furlong', 3, UNITS)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not a known unit'),
    });
    const decoded = decodeRecord(kinesis(furlong), 0, UNITS);
    expect(decoded.events).toEqual([]);
    expect(decoded.rejected.map((r) => r.reason)).toEqual(['invalid_event']);
    expect(convertRecord(Buffer.from(JSON.stringify(furlong)), UNITS)).toMatchObject({ ok: false });
  });

  it('is decoded by the consumer kit and converted to a lake row with the registry', () => {
    const km = reading('km', 12_345);
    expect(decodeRecord(kinesis(km), 0, UNITS).events).toEqual([km]);
    expect(decodeRecord(kinesis(km), 0).events).toEqual([]);
    expect(convertRecord(Buffer.from(JSON.stringify(km)), UNITS)).toMatchObject({ ok: true, event: km });
    expect(convertRecord(Buffer.from(JSON.stringify(km)))).toMatchObject({ ok: false });
  });

  it('reaches a consumer through the kit: its provider is asked per batch, the batch carries the registry', async () => {
    let asked = 0;
    const seen: { events: number; has: boolean }[] = [];
    const handler = kinesisConsumer(
      {
        name: 'probe',
        async apply(batch) {
          const events = batch.records.reduce((n, r) => n + r.events.length, 0);
          seen.push({ events, has: batch.units.has('km') });
          return { readings: events, quarantined: 0 };
        },
      },
      { s3: {} as S3Client, bucket: 'b', units: () => (asked++, Promise.resolve(UNITS)) },
    );
    await handler({ Records: [kinesis(reading('km', 1)), kinesis(reading('bool', 0, 'is_charging'), '2')] });
    expect(asked).toBe(1);
    expect(seen).toEqual([{ events: 2, has: true }]);
  });

  it('is not thrown out by the anomaly consumer as out of bounds', () => {
    const decoded = decodeRecord(kinesis(reading('km', 12_345)), 0, UNITS);
    expect(rejectOutOfBounds(decoded, UNITS).events).toHaveLength(1);
    expect(rejectOutOfBounds(decoded).rejected.map((r) => r.reason)).toEqual(['invalid_event']);
  });
});

describe('negative_value on a declared unit', () => {
  const config = resolveRulesConfig();
  const odometer: SeriesMeta = {
    assetId: 'EV1:01',
    substationId: 'EV1',
    feederId: '01',
    measurement: 'odometer',
    unit: 'km',
    phase: null,
  };

  it('applies when the declaration says negative is abnormal, and breaches on a negative reading', () => {
    expect(negativeValue.appliesTo(odometer, config, UNITS)).toBe(true);
    expect(negativeValue.appliesTo(odometer, config)).toBe(false);
    expect(rulesFor(odometer, config, UNITS).map((r) => r.id)).toContain('negative_value');
    const t = Date.parse('2025-08-14T15:00:00.000Z');
    const step = stepSeries(EMPTY_STATE, { t, value: -5 }, odometer, undefined, config, UNITS);
    expect(step.transitions.map((x) => x.rule)).toContain('negative_value');
    const fine = stepSeries(EMPTY_STATE, { t, value: 5 }, odometer, undefined, config, UNITS);
    expect(fine.transitions.map((x) => x.rule)).not.toContain('negative_value');
  });

  it('does not apply when the declaration leaves negative values normal', () => {
    const signed = BUILTIN_UNITS.with({ delta_km: { max_abs: 1000 } }, 'probe');
    expect(negativeValue.appliesTo({ ...odometer, unit: 'delta_km' }, config, signed)).toBe(false);
  });
});

describe('a unit declared a moment ago', () => {
  it('is looked up again once before the kit refuses a reading in it', async () => {
    const asked: (boolean | undefined)[] = [];
    let events = 0;
    const handler = kinesisConsumer(
      {
        name: 'probe',
        async apply(batch) {
          events = batch.records.reduce((n, r) => n + r.events.length, 0);
          return { readings: events, quarantined: 0 };
        },
      },
      {
        s3: {} as S3Client,
        bucket: 'b',
        // a cached registry without km; the stored mappings, read again, have it
        units: (o) => (asked.push(o?.fresh), Promise.resolve(o?.fresh === true ? UNITS : BUILTIN_UNITS)),
      },
    );
    await handler({ Records: [kinesis(reading('km', 1))] });
    expect(asked).toEqual([undefined, true]);
    expect(events).toBe(1);
  });
});

describe('the readers’ registry', () => {
  it('is read again when stale or asked fresh, and stays the same object while the mappings did not change', async () => {
    let version = 'a';
    let loads = 0;
    const store = {
      load: () => (loads++, Promise.resolve({ mappings: [], invalid: [], version })),
    } as unknown as MappingStore;
    let now = 0;
    const provider = storedUnits(store, builtinMappings(), 1_000, () => now);
    const first = await provider();
    expect(await provider()).toBe(first);
    expect(loads).toBe(1);
    expect(await provider({ fresh: true })).toBe(first);
    expect(loads).toBe(2);
    version = 'b';
    now = 1_000;
    expect(await provider()).not.toBe(first);
    expect(loads).toBe(3);
  });

  it('holds the built-in mappings’ declared units and the stored ones', async () => {
    const stored = builtinMappings().filter((m) => m.mapping.name === 'chargeminder_ndjson');
    const store = {
      load: () => Promise.resolve({ mappings: [], invalid: [], version: '' }),
    } as unknown as MappingStore;
    const units = await storedUnits(store, builtinMappings())();
    expect(units.has('km') && units.has('bool')).toBe(true);
    expect(stored).toHaveLength(1);
    const none = await storedUnits(store)();
    expect(none.has('km')).toBe(false);
  });
});
