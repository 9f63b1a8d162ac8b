import { describe, expect, it } from 'vitest';
import { completenessPct, expectedIntervals, observedCadenceMs } from '../../src/shared/expected.ts';

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
