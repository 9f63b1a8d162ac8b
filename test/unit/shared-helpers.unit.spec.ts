import { describe, expect, it } from 'vitest';
import { BATCH_WRITE_MAX, chunks, inPool } from '../../src/shared/concurrency.ts';
import { ENV } from '../../src/shared/functions.ts';
import { BACKOFF, backoffMs, isRetryableRequestError, isThrottle, untilDone } from '../../src/shared/retry.ts';
import { parseTimeZone, parseTtlDays, readSettings, requireSetting, SettingsError } from '../../src/shared/settings.ts';

describe('chunks', () => {
  it('cuts in order into slices of at most the size', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 25)).toEqual([]);
    expect(
      chunks(
        Array.from({ length: 50 }, (_, i) => i),
        BATCH_WRITE_MAX,
      ).map((c) => c.length),
    ).toEqual([25, 25]);
  });

  it('refuses a size that would never end', () => {
    expect(() => chunks([1], 0)).toThrow(RangeError);
  });
});

describe('inPool', () => {
  it('never has more than the limit in flight, and runs every item', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await inPool(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (item, index) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setImmediate(r));
        seen.push(item);
        expect(index).toBe(item);
        inFlight--;
      },
    );
    expect(most).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(
      inPool([1, 2, 3, 4, 5, 6], 2, async (item) => {
        started.push(item);
        if (item === 2) throw new Error('two');
        await new Promise((r) => setImmediate(r));
      }),
    ).rejects.toThrow('two');
    expect(started).not.toContain(5);
  });
});

describe('backoffMs', () => {
  const settings = { firstMs: 100, maxMs: 1_000 };

  it('stays in [0, ceiling) with the ceiling doubling from firstMs up to maxMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(settings, n, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect([1, 2, 3].map((n) => backoffMs(settings, n, () => 0))).toEqual([0, 0, 0]);
  });

  it('is full jitter: the injected random scales the whole ceiling', () => {
    expect(backoffMs(settings, 3, () => 0.5)).toBe(200);
    expect(backoffMs(settings, 3, () => 0.25)).toBe(100);
  });

  it('spreads waits out with the real random, inside the bounds', () => {
    const waits = Array.from({ length: 200 }, () => backoffMs(BACKOFF.stateWrites, 2));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...waits)).toBeLessThan(BACKOFF.stateWrites.firstMs * 2);
    expect(new Set(waits).size).toBeGreaterThan(10);
  });
});

describe('untilDone', () => {
  it('calls again with what is pending, after a backoff, until nothing is', async () => {
    const sleeps: number[] = [];
    const calls: number[] = [];
    await untilDone(
      { attempts: 5, firstMs: 10, maxMs: 100 },
      3,
      async (n) => (calls.push(n), n > 1 ? n - 1 : undefined),
      () => new Error('never'),
      { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    );
    expect(calls).toEqual([3, 2, 1]);
    expect(sleeps).toEqual([5, 10]);
  });

  it("throws the caller's error once the attempts are spent", async () => {
    let calls = 0;
    await expect(
      untilDone(
        { attempts: 3, firstMs: 1, maxMs: 1 },
        'x',
        async (p) => (calls++, p),
        (n) => new Error(`stuck after ${n}`),
        { sleep: async () => undefined },
      ),
    ).rejects.toThrow('stuck after 3');
    expect(calls).toBe(3);
  });
});

describe('throttle classification', () => {
  const named = (name: string, extra: object = {}): Error =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 400 }, ...extra });

  it('knows throttles from wrong requests', () => {
    expect(isThrottle(named('ProvisionedThroughputExceededException'))).toBe(true);
    expect(isThrottle(named('ThrottlingException'))).toBe(true);
    expect(isThrottle(named('ValidationException'))).toBe(false);
    expect(isThrottle(undefined)).toBe(false);
  });

  it('retries throttles, server faults and lost connections, not client errors', () => {
    expect(isRetryableRequestError(named('ThrottlingException'))).toBe(true);
    expect(isRetryableRequestError(named('InternalFailure'))).toBe(true);
    expect(isRetryableRequestError(named('Whatever', { $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isRetryableRequestError(Object.assign(new Error('ECONNRESET'), { $metadata: {} }))).toBe(true);
    expect(isRetryableRequestError(named('ValidationException', { $fault: 'client' }))).toBe(false);
  });
});

describe('settings', () => {
  it('reads every key, trimmed, blanks as unset', () => {
    const s = readSettings({
      [ENV.bucket]: ' b ',
      [ENV.stream]: 's',
      [ENV.alertsTopicArn]: 'arn:aws:sns:eu-west-2:123456789012:alerts',
      [ENV.readingsTtlDays]: '90',
      [ENV.sourceTimeZone]: 'Europe/London',
      [ENV.awsAccount]: '123456789012',
      [ENV.anomalyRules]: '{}',
    });
    expect(s).toEqual({
      bucket: 'b',
      stream: 's',
      alertsTopicArn: 'arn:aws:sns:eu-west-2:123456789012:alerts',
      readingsTtlDays: 90,
      sourceTimeZone: 'Europe/London',
      awsAccount: '123456789012',
      anomalyRules: '{}',
    });
    expect(readSettings({ [ENV.bucket]: '  ', [ENV.sourceTimeZone]: '' })).toEqual({});
  });

  it('names the variable and what it should be when a value is wrong', () => {
    expect(() => readSettings({ [ENV.sourceTimeZone]: 'Nowhere/Land' })).toThrow(
      new RegExp(`${ENV.sourceTimeZone}: unknown time zone "Nowhere/Land"`),
    );
    expect(() => readSettings({ [ENV.readingsTtlDays]: '-1' })).toThrow(
      /DUBEGRID_READINGS_TTL_DAYS must be a positive number of days/,
    );
    expect(() => readSettings({ [ENV.awsAccount]: '12' })).toThrow(/DUBEGRID_AWS_ACCOUNT must be a 12-digit/);
    expect(readSettings({ [ENV.maxAttempts]: '10' }).maxAttempts).toBe(10);
    for (const bad of ['0', '2.5', '21', 'many'])
      expect(() => readSettings({ [ENV.maxAttempts]: bad })).toThrow(
        `DUBEGRID_MAX_ATTEMPTS must be a whole number from 1 to 20, got "${bad}"`,
      );
    expect(() => readSettings({ [ENV.alertsTopicArn]: 'alerts' })).toThrow(SettingsError);
  });

  it('says who needs a missing setting', () => {
    expect(() => requireSetting({}, 'alertsTopicArn', 'alerts are published to it')).toThrow(
      `${ENV.alertsTopicArn} is not set: alerts are published to it`,
    );
    expect(requireSetting({ bucket: 'b' }, 'bucket', 'x')).toBe('b');
  });

  it('parses the zone and the TTL on their own', () => {
    expect(parseTimeZone(' UTC ')).toBe('UTC');
    expect(parseTimeZone(undefined)).toBeUndefined();
    expect(parseTtlDays('0.5')).toBe(0.5);
    expect(() => parseTtlDays('soon')).toThrow(SettingsError);
  });
});
