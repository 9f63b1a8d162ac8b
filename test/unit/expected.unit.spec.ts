import { describe, expect, it } from 'vitest';
import {
  completenessPct,
  expectedIntervals,
  intervalMs,
  observedCadenceMs,
  registryIntervalMs,
} from '../../src/shared/expected.ts';

const DAY = 86_400_000;
const TEN_MIN = 600_000;
const start = Date.UTC(2025, 7, 1);

describe('expected intervals (one definition)', () => {
  it('takes the most common gap, the shorter on a tie', () => {
    expect(observedCadenceMs([0, 10, 20, 30, 50])).toBe(10);
    expect(observedCadenceMs([0, 10, 30])).toBe(10);
    expect(observedCadenceMs([5])).toBeUndefined();
  });

  it('a 7-day sample with nothing missing reads 100 % of its month', () => {
    const coverage = { firstMs: start, watermarkMs: start + 7 * DAY - TEN_MIN };
    const expected = expectedIntervals(start, start + 31 * DAY, coverage, TEN_MIN);
    expect(expected).toBe(7 * 144);
    expect(completenessPct(7 * 144, expected)).toBe(100);
  });

  it('a feed that dies after day 3 of 7 reads 3/7', () => {
    const coverage = { firstMs: start, watermarkMs: start + 7 * DAY - TEN_MIN };
    const expected = expectedIntervals(start, start + 31 * DAY, coverage, TEN_MIN);
    expect(completenessPct(3 * 144, expected)).toBe(42.86);
  });

  it('a day outside the coverage expects nothing', () => {
    const coverage = { firstMs: start, watermarkMs: start + DAY - TEN_MIN };
    expect(expectedIntervals(start + 2 * DAY, start + 3 * DAY, coverage, TEN_MIN)).toBe(0);
    expect(completenessPct(0, 0)).toBeUndefined();
  });
});

describe('the registry interval overrides the observed cadence', () => {
  it('wins when given, and the observed cadence stands otherwise', () => {
    expect(intervalMs(TEN_MIN, 30 * 60_000)).toBe(30 * 60_000);
    expect(intervalMs(TEN_MIN, undefined)).toBe(TEN_MIN);
    expect(intervalMs(undefined, 5 * 60_000)).toBe(5 * 60_000);
    expect(intervalMs(undefined, undefined)).toBeUndefined();
  });

  it('reads interval_minutes as minutes; empty is none; anything but a positive number is refused', () => {
    expect(registryIntervalMs('30')).toBe(1_800_000);
    expect(registryIntervalMs('0.5')).toBe(30_000);
    expect(registryIntervalMs(' ')).toBeUndefined();
    expect(registryIntervalMs(undefined)).toBeUndefined();
    for (const bad of ['0', '-10', 'ten', 'Infinity'])
      expect(() => registryIntervalMs(bad)).toThrow(
        `interval_minutes must be a positive number of minutes, got "${bad}"`,
      );
  });

  it('changes what is expected: a week at a registry 30 min is 336 intervals where the observed 10 min gives 1008', () => {
    const coverage = { firstMs: start, watermarkMs: start + 7 * DAY - TEN_MIN };
    expect(expectedIntervals(start, start + 31 * DAY, coverage, intervalMs(TEN_MIN, undefined)!)).toBe(7 * 144);
    // watermark 6d 23:50 + one 30-minute interval = 7d 00:20 → floor(10100 min / 30) = 336
    expect(expectedIntervals(start, start + 31 * DAY, coverage, intervalMs(TEN_MIN, 1_800_000)!)).toBe(336);
  });
});
