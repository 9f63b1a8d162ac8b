import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/project.ts';
import { CONTEXT_KEYS, ConfigError, configFromContext } from '../../infra/config.ts';
import { FIREHOSE_CONVERSION } from '../../src/shared/glue.ts';
import { STREAM } from '../../src/shared/resources.ts';

const from = (context: Record<string, unknown>) => configFromContext((key) => context[key]);

describe('deployment context', () => {
  it('defaults to an on-demand, environment-agnostic deployment that keeps its data', () => {
    const c = from({});
    expect(c).toMatchObject({
      stackName: 'DubeGrid',
      retentionHours: STREAM.retentionHours,
      retainData: true,
      alertSeverities: ['critical'],
      firehoseBufferSeconds: FIREHOSE_CONVERSION.buffering.intervalSeconds,
      firehoseBufferMiB: FIREHOSE_CONVERSION.buffering.sizeMiB,
    });
    for (const key of [
      'account',
      'region',
      'streamShards',
      'readingsTtlDays',
      'alertEmail',
      'opsEmail',
      'objectLockDays',
      'anomalyRules',
      'sourceTimeZone',
    ] as const) {
      expect(c[key]).toBeUndefined();
    }
  });

  it('reads `-c key=value` strings and cdk.json JSON values alike', () => {
    const asStrings = from({
      streamShards: '4',
      retainData: 'false',
      alertSeverities: 'warning, critical',
      readingsTtlDays: '30',
    });
    const asJson = from({
      streamShards: 4,
      retainData: false,
      alertSeverities: ['warning', 'critical'],
      readingsTtlDays: 30,
    });
    expect(asStrings).toEqual(asJson);
    expect(asJson).toMatchObject({
      streamShards: 4,
      retainData: false,
      alertSeverities: ['warning', 'critical'],
      readingsTtlDays: 30,
    });
  });

  it('passes anomaly rule overrides on as JSON text, whether given as text or as an object', () => {
    expect(from({ anomalyRules: '{}' }).anomalyRules).toBe('{}');
    expect(from({ anomalyRules: {} }).anomalyRules).toBe('{}');
  });

  it.each([
    ['streamShards', { streamShards: '0' }, /context streamShards: must be an integer from 1 to 500, got "0"/],
    ['streamShards', { streamShards: 'many' }, /got "many"/],
    ['retentionHours', { retentionHours: 12 }, /context retentionHours: must be an integer from 24 to 8760, got 12/],
    ['retainData', { retainData: 'yes' }, /context retainData: must be true or false, got "yes"/],
    ['alertEmail', { alertEmail: 'not-an-address' }, /context alertEmail: must match/],
    [
      'firehoseBufferMiB',
      { firehoseBufferMiB: 32 },
      /context firehoseBufferMiB: must be an integer from 64 to 128, got 32/,
    ],
    ['firehoseBufferSeconds', { firehoseBufferSeconds: 30 }, /from 60 to 900/],
    ['logRetentionDays', { logRetentionDays: 10 }, /context logRetentionDays: must be one of 1, 3, 5, 7, 14, 30/],
    ['rawInfrequentAccessDays', { rawInfrequentAccessDays: 7 }, /from 30 to/],
    [
      'rawArchiveDays',
      { rawInfrequentAccessDays: 60, rawArchiveDays: 70 },
      /context rawArchiveDays: must be at least rawInfrequentAccessDays \+ 30 \(90\), got 70/,
    ],
    ['account', { account: '123' }, /context account: must match/],
    ['region', { account: '123456789012' }, /context region: account and region are given together/],
    ['anomalyRules', { anomalyRules: '{not json' }, /context anomalyRules: .*not valid JSON/],
    ['sourceTimeZone', { sourceTimeZone: 'Mars/Olympus_Mons' }, /context sourceTimeZone: /],
  ])('rejects a bad %s, naming the key and what it got', (key, context, message) => {
    let error: unknown;
    try {
      from(context);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts a pinned environment and a source time zone', () => {
    expect(from({ account: '123456789012', region: 'eu-west-2', sourceTimeZone: 'Europe/London' })).toMatchObject({
      account: '123456789012',
      region: 'eu-west-2',
      sourceTimeZone: 'Europe/London',
    });
  });

  it('lists every parameter it reads, and the deployment docs document each one', () => {
    const readKeys = new Set<string>();
    configFromContext((key) => {
      readKeys.add(key);
      return undefined;
    });
    expect([...readKeys].sort()).toEqual([...CONTEXT_KEYS].sort());
    const readme = readFileSync(join(PROJECT_ROOT, 'docs', 'aws-deployment.md'), 'utf8');
    const undocumented = CONTEXT_KEYS.filter((key) => !readme.includes(`\`${key}\``));
    expect(undocumented).toEqual([]);
  });
});
