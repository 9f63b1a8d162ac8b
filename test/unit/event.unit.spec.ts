import { describe, expect, it } from 'vitest';
import {
  EventIdDigest,
  canonicalTs,
  compareEmission,
  eventIdOf,
  isCanonicalTs,
  validateReadingEvent,
  type ReadingEvent,
} from '../../src/shared/event.ts';

function goodEvent(over: Partial<ReadingEvent> = {}): ReadingEvent {
  const base = {
    v: 1 as const,
    asset_id: 'LV123:05',
    substation_id: 'LV123',
    substation_name: 'Main St',
    feeder_id: '05',
    measurement: 'l3_reactive_power',
    phase: 'L3' as const,
    unit: 'kVAr' as const,
    value: 42.7,
    ts: '2025-08-14T15:00:00.000Z',
    source_bucket: 'b',
    source_key: 'raw/prod/lv/y=2025/m=08/lv.csv',
    source_etag: 'abc',
    source_line: 2,
    ingested_at: '2025-08-15T00:00:00.000Z',
  };
  const merged = { ...base, ...over };
  return { ...merged, event_id: over.event_id ?? eventIdOf(merged.asset_id, merged.measurement, merged.ts) };
}

describe('validateReadingEvent', () => {
  it('accepts a good event', () => {
    const r = validateReadingEvent(goodEvent());
    expect(r.ok).toBe(true);
  });

  it.each([
    ['v', { v: 2 }, /v: must be 1/],
    ['asset_id', { asset_id: '' }, /asset_id: must not be empty/],
    ['measurement', { measurement: 'L3 Reactive' }, /measurement: must be a lower-case slug/],
    ['phase', { phase: 'L4' }, /phase: must be one of L1\/L2\/L3\/N or null/],
    ['unit', { unit: 'kVAR' }, /unit: must be a canonical unit/],
    ['value NaN', { value: Number.NaN }, /value: must be a finite number, got NaN/],
    ['value Infinity', { value: Number.POSITIVE_INFINITY }, /value: must be a finite number, got Infinity/],
    ['value string', { value: '42' }, /value: must be a finite number, got "42"/],
    ['ts zone-less', { ts: '2025-08-14T15:00:00' }, /ts: must be a canonical UTC time/],
    ['ts no millis', { ts: '2025-08-14T15:00:00Z' }, /ts: must be a canonical UTC time/],
    ['ts impossible', { ts: '2025-02-30T15:00:00.000Z' }, /ts: must be a canonical UTC time/],
    ['source_line', { source_line: 0 }, /source_line: must be a positive integer/],
    ['extra field', { extra: 1 }, /extra: is not a field of contract v1/],
  ])('rejects a bad %s with a clear message', (_name, patch, message) => {
    const event = { ...goodEvent(), ...(patch as object) };
    const r = validateReadingEvent(event);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message).join('; ')).toMatch(message);
  });

  it('rejects an event id that does not match the natural key', () => {
    const r = validateReadingEvent(goodEvent({ event_id: 'f'.repeat(32) }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.message).toMatch(/event_id: does not match the natural key/);
  });

  it('rejects what is not an object', () => {
    for (const bad of [null, 3, 'x', []]) expect(validateReadingEvent(bad).ok).toBe(false);
  });

  it('accepts a null phase for totals', () => {
    expect(validateReadingEvent(goodEvent({ phase: null, measurement: 'total_active_power', unit: 'kW' })).ok).toBe(
      true,
    );
  });
});

describe('event ids and digests', () => {
  it('are deterministic from the natural key alone', () => {
    expect(eventIdOf('a', 'm', '2025-01-01T00:00:00.000Z')).toBe(eventIdOf('a', 'm', '2025-01-01T00:00:00.000Z'));
    expect(eventIdOf('a', 'm', '2025-01-01T00:00:00.000Z')).not.toBe(eventIdOf('a', 'm', '2025-01-01T00:10:00.000Z'));
    expect(eventIdOf('a', 'm', '2025-01-01T00:00:00.000Z')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('digest is independent of order and sensitive to content', () => {
    const ids = Array.from({ length: 50 }, (_, i) =>
      eventIdOf('a', 'm', canonicalTs(Date.UTC(2025, 0, 1) + i * 600_000)),
    );
    const forward = new EventIdDigest();
    const backward = new EventIdDigest();
    ids.forEach((id) => forward.add(id));
    [...ids].reverse().forEach((id) => backward.add(id));
    expect(forward.toString()).toBe(backward.toString());
    expect(forward.count).toBe(50);
    const missing = new EventIdDigest();
    ids.slice(1).forEach((id) => missing.add(id));
    expect(missing.toString()).not.toBe(forward.toString());
  });

  it('canonical time is what toISOString prints', () => {
    expect(canonicalTs(Date.UTC(2025, 7, 14, 15))).toBe('2025-08-14T15:00:00.000Z');
    expect(isCanonicalTs('2025-08-14T15:00:00.000Z')).toBe(true);
    expect(isCanonicalTs('2025-08-14T15:00:00.000+01:00')).toBe(false);
  });

  it('the later emission wins a correction', () => {
    const a = { ingested_at: '2025-01-01T00:00:00.000Z', source_key: 'k', source_line: 5 };
    expect(compareEmission({ ...a, ingested_at: '2025-01-02T00:00:00.000Z' }, a)).toBeGreaterThan(0);
    expect(compareEmission({ ...a, source_key: 'l' }, a)).toBeGreaterThan(0);
    expect(compareEmission({ ...a, source_line: 6 }, a)).toBeGreaterThan(0);
    expect(compareEmission(a, a)).toBe(0);
  });
});
