import { describe, expect, it } from 'vitest';
import { ASSUMPTIONS, estimate, scheduledRuns, type Measured } from '../../infra/cost/model.ts';
import { CONSUMERS } from '../../src/shared/consumers.ts';
import { SCHEDULES } from '../../src/shared/functions.ts';
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
    expect(ASSUMPTIONS.customMetrics).toBe(36); // 8 splitter, 4 state, 9 anomaly, 3 outbox, 3 compaction, 2 rollups, 4 registry, 3 watchdog
    expect(ASSUMPTIONS.customMetrics).toBe(Object.values(PUBLISHED_METRICS).flat().length);
    expect(line(withKpl, 'CloudWatch', /custom metrics/)).toMatchObject({
      quantity: 26,
      usd: 26 * RATES.cloudWatchMetricMonth.usd,
    });
  });

  it('prices the alarms beyond the 10 free: two per function (errors, throttles) and the pipeline’s own', () => {
    expect(ASSUMPTIONS.alarms).toBe(31); // the stack test keeps this equal to what it synthesizes
    expect(line(withKpl, 'CloudWatch', /alarms/)).toMatchObject({
      quantity: 21,
      usd: 21 * RATES.cloudWatchAlarmMonth.usd,
    });
  });

  it('counts the scheduled functions’ runs at their rules’ periods, whatever the volume', () => {
    expect(scheduledRuns()).toEqual({
      outbox: 730 * 60,
      watchdog: (730 * 60) / SCHEDULES.watchdog.minutes,
      rollups: (730 * 60) / SCHEDULES.rollups.minutes,
      compaction: 730 / 24,
    });
    const runs = Object.values(scheduledRuns()).reduce((a, b) => a + b, 0);
    const small = estimate(1e6, measured, RATES, { aggregated: true });
    // 10 raw files, and 20,000 aggregates in 6 MB batches for each of the two consumers: the rest is the schedules
    const batches = Math.ceil(20_000 / Math.min(CONSUMERS.state.batchSize, Math.floor((6 * 1024 * 1024) / 24_300)));
    expect(line(small, 'Lambda', /requests/)?.quantity).toBeCloseTo(10 + 2 * batches + runs, 6);
  });

  it('names the source of every rate', () => {
    for (const [key, rate] of Object.entries(RATES)) {
      expect(['price-list', 'unverified'], key).toContain(rate.source);
      expect(rate.ref.length, key).toBeGreaterThan(5);
      expect(rate.usd, key).toBeGreaterThan(0);
    }
  });
});
