import { describe, expect, it } from 'vitest';
import { ASSUMPTIONS, estimate, type Measured } from '../../infra/cost/model.ts';
import { PUBLISHED_METRICS } from '../../src/shared/telemetry.ts';
import { RATES } from '../../infra/cost/rates.ts';

/** What `infra/cost/estimate.ts` measured from the real splitter (rounded). */
const measured: Measured = {
  eventBytes: 474,
  partitionKeyBytes: 8,
  eventsPerRecord: 50,
  recordBytes: 24_300,
  csvBytesPerReading: 75,
};
const line = (e: ReturnType<typeof estimate>, service: string, item: RegExp) =>
  e.lines.find((l) => l.service === service && item.test(l.item));

describe('cost model', () => {
  const withKpl = estimate(100e6, measured, RATES, { aggregated: true });
  const without = estimate(100e6, measured, RATES, { aggregated: false });

  it('bills on-demand ingestion per record rounded up to 1 KB: a 482-byte record costs 1 KB, a 24.3 KB aggregate 24 KB for 50 readings', () => {
    expect(line(without, 'Kinesis', /data in/)?.quantity).toBeCloseTo((100e6 * 1024) / 1024 ** 3, 6);
    expect(line(withKpl, 'Kinesis', /data in/)?.quantity).toBeCloseTo(((100e6 / 50) * 24 * 1024) / 1024 ** 3, 6);
  });

  it('bills Firehose per record rounded up to 5 KB', () => {
    expect(line(without, 'Firehose', /ingestion/)?.quantity).toBeCloseTo((100e6 * 5 * 1024) / 1024 ** 3, 6);
    expect(line(withKpl, 'Firehose', /ingestion/)?.quantity).toBeCloseTo(((100e6 / 50) * 25 * 1024) / 1024 ** 3, 6);
  });

  it('counts PUT payload units per record on a provisioned stream', () => {
    const p = (aggregated: boolean) =>
      line(estimate(100e6, measured, RATES, { aggregated, capacity: 'provisioned' }), 'Kinesis', /PUT payload/)
        ?.quantity;
    expect(p(false)).toBe(100e6);
    expect(p(true)).toBe(100e6 / 50);
  });

  it('leaves DynamoDB, S3 and Athena alone: aggregation only changes how readings travel', () => {
    for (const service of ['DynamoDB', 'S3', 'Athena']) {
      const sum = (e: typeof withKpl) => e.lines.filter((l) => l.service === service).reduce((s, l) => s + l.usd, 0);
      expect(sum(withKpl)).toBeCloseTo(sum(without), 9);
    }
  });

  it('totals its lines, and aggregation makes the month cheaper', () => {
    expect(withKpl.totalUsd).toBeCloseTo(
      withKpl.lines.reduce((s, l) => s + l.usd, 0),
      9,
    );
    expect(withKpl.totalUsd).toBeLessThan(without.totalUsd);
  });

  it('prices every Powertools metric the handlers publish (one per name and service) beyond the 10 free', () => {
    expect(ASSUMPTIONS.customMetrics).toBe(28); // 8 splitter, 4 state, 9 anomaly, 3 outbox, 4 registry
    expect(ASSUMPTIONS.customMetrics).toBe(Object.values(PUBLISHED_METRICS).flat().length);
    expect(line(withKpl, 'CloudWatch', /custom metrics/)).toMatchObject({
      quantity: 18,
      usd: 18 * RATES.cloudWatchMetricMonth.usd,
    });
  });

  it('names the source of every rate', () => {
    for (const [key, rate] of Object.entries(RATES)) {
      expect(['price-list', 'unverified'], key).toContain(rate.source);
      expect(rate.ref.length, key).toBeGreaterThan(5);
      expect(rate.usd, key).toBeGreaterThan(0);
    }
  });
});
