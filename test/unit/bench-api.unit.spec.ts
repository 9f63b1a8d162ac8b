/** The API benchmark's pure helpers: the percentile it reports and the pairing of calls (no timings asserted). */
import { describe, expect, it } from 'vitest';
import { paired, percentile } from '../../bench/benchmarks/api/stats.ts';

describe('percentile (nearest rank)', () => {
  it('reads the sorted samples at ceil(q × n)', () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 0.5)).toBe(5);
    expect(percentile(xs, 0.95)).toBe(10);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('paired', () => {
  it('warms both sides once, then alternates which side goes first', async () => {
    const order: string[] = [];
    const p = await paired(
      4,
      async () => order.push('h'),
      async () => order.push('d'),
    );
    expect(order).toEqual(['h', 'd', 'h', 'd', 'd', 'h', 'h', 'd', 'd', 'h']);
    expect(p.httpMs).toHaveLength(4);
    expect(p.directMs).toHaveLength(4);
  });
});
