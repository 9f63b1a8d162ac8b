/**
 * Deployment parameters, read from CDK context (`cdk.json` or `-c key=value`) in
 * one place. Every value is validated here, so a typo fails synthesis with the
 * key and what was received instead of deploying something unintended.
 */
import { rulesConfigFromText } from '../src/consumers/anomaly/rules/config.ts';
import { TimestampReader } from '../src/producers/splitter/timestamps.ts';
import { FIREHOSE_CONVERSION } from '../src/shared/glue.ts';
import { STREAM } from '../src/shared/resources.ts';

export interface DeployConfig {
  /** CloudFormation stack name. */
  readonly stackName: string;
  /** Pin the stack to an account/region; both unset = environment-agnostic (synth needs no credentials). */
  readonly account?: string | undefined;
  readonly region?: string | undefined;
  /** Provisioned shard count; unset = on-demand capacity. */
  readonly streamShards?: number | undefined;
  /** Stream retention: the window in which projections can be rebuilt by replay. */
  readonly retentionHours: number;
  /** Expiry of time-series items in DynamoDB; unset = kept (the lake keeps all history either way). */
  readonly readingsTtlDays?: number | undefined;
  /** Subscribes this address to the alerts topic, filtered to `alertSeverities`. */
  readonly alertEmail?: string | undefined;
  readonly alertSeverities: readonly string[];
  /** Subscribes this address to the operations topic (alarms). */
  readonly opsEmail?: string | undefined;
  /** S3 Object Lock default retention (GOVERNANCE mode) in days; unset = no Object Lock. */
  readonly objectLockDays?: number | undefined;
  readonly rawInfrequentAccessDays: number;
  readonly rawArchiveDays: number;
  readonly quarantineExpiryDays: number;
  readonly athenaResultsExpiryDays: number;
  readonly firehoseBufferSeconds: number;
  readonly firehoseBufferMiB: number;
  readonly logRetentionDays: number;
  /** Keep the bucket, tables and key when the stack is deleted. */
  readonly retainData: boolean;
  /** Per-query scan cutoff of the Athena workgroup. */
  readonly athenaScanLimitGiB: number;
  /** Consumer lag that raises the iterator-age alarms. */
  readonly iteratorAgeAlarmMinutes: number;
  /** JSON overrides of the anomaly rules' thresholds, validated here, handed to the consumer as `ENV.anomalyRules`. */
  readonly anomalyRules?: string | undefined;
  /** IANA zone of zone-less LV monitor timestamps (e.g. `Europe/London`), handed to the splitter; unset = UTC. */
  readonly sourceTimeZone?: string | undefined;
  /** Minutes a lake day partition must be quiet before the daily compaction rewrites it; unset = `COMPACTION.defaultQuietMinutes`. */
  readonly compactQuietMinutes?: number | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`context ${key}: ${message}`);
  }
}

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export const DEFAULTS = {
  stackName: 'DubeGrid',
  retentionHours: STREAM.retentionHours,
  alertSeverities: ['critical'],
  rawInfrequentAccessDays: 30,
  rawArchiveDays: 180,
  quarantineExpiryDays: 90,
  athenaResultsExpiryDays: 30,
  firehoseBufferSeconds: FIREHOSE_CONVERSION.buffering.intervalSeconds,
  firehoseBufferMiB: FIREHOSE_CONVERSION.buffering.sizeMiB,
  logRetentionDays: 30,
  retainData: true,
  athenaScanLimitGiB: 10,
  iteratorAgeAlarmMinutes: 10,
} as const;

/** The context keys this app reads; `cdk.json` may hold others (feature flags). */
export const CONTEXT_KEYS = [
  'stackName',
  'account',
  'region',
  'streamShards',
  'retentionHours',
  'readingsTtlDays',
  'alertEmail',
  'alertSeverities',
  'opsEmail',
  'objectLockDays',
  'rawInfrequentAccessDays',
  'rawArchiveDays',
  'quarantineExpiryDays',
  'athenaResultsExpiryDays',
  'firehoseBufferSeconds',
  'firehoseBufferMiB',
  'logRetentionDays',
  'retainData',
  'athenaScanLimitGiB',
  'iteratorAgeAlarmMinutes',
  'anomalyRules',
  'sourceTimeZone',
  'compactQuietMinutes',
] as const satisfies readonly (keyof DeployConfig)[];

type Lookup = (key: string) => unknown;

export function configFromContext(get: Lookup): DeployConfig {
  const r = new Reader(get);
  const config: DeployConfig = {
    stackName: r.string('stackName', /^[A-Za-z][A-Za-z0-9-]{0,127}$/) ?? DEFAULTS.stackName,
    account: r.string('account', /^\d{12}$/),
    region: r.string('region', /^[a-z]{2}(-[a-z]+)+-\d$/),
    streamShards: r.int('streamShards', 1, 500),
    // Kinesis accepts 24 h to 365 days.
    retentionHours: r.int('retentionHours', 24, 8760) ?? DEFAULTS.retentionHours,
    readingsTtlDays: r.int('readingsTtlDays', 1, 36_500),
    alertEmail: r.string('alertEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/),
    alertSeverities: r.list('alertSeverities') ?? DEFAULTS.alertSeverities,
    opsEmail: r.string('opsEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/),
    objectLockDays: r.int('objectLockDays', 1, 36_500),
    // S3 moves objects to STANDARD_IA no sooner than 30 days after creation.
    rawInfrequentAccessDays: r.int('rawInfrequentAccessDays', 30, 36_500) ?? DEFAULTS.rawInfrequentAccessDays,
    rawArchiveDays: r.int('rawArchiveDays', 1, 36_500) ?? DEFAULTS.rawArchiveDays,
    quarantineExpiryDays: r.int('quarantineExpiryDays', 1, 36_500) ?? DEFAULTS.quarantineExpiryDays,
    athenaResultsExpiryDays: r.int('athenaResultsExpiryDays', 1, 36_500) ?? DEFAULTS.athenaResultsExpiryDays,
    // Firehose with dynamic partitioning: 60–900 s; with format conversion: 64–128 MiB.
    firehoseBufferSeconds: r.int('firehoseBufferSeconds', 60, 900) ?? DEFAULTS.firehoseBufferSeconds,
    firehoseBufferMiB: r.int('firehoseBufferMiB', 64, 128) ?? DEFAULTS.firehoseBufferMiB,
    logRetentionDays: r.int('logRetentionDays', 1, 3653) ?? DEFAULTS.logRetentionDays,
    retainData: r.bool('retainData') ?? DEFAULTS.retainData,
    athenaScanLimitGiB: r.int('athenaScanLimitGiB', 1, 1_000_000) ?? DEFAULTS.athenaScanLimitGiB,
    iteratorAgeAlarmMinutes: r.int('iteratorAgeAlarmMinutes', 1, 10_080) ?? DEFAULTS.iteratorAgeAlarmMinutes,
    anomalyRules: r.json('anomalyRules'),
    sourceTimeZone: r.string('sourceTimeZone', /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/),
    compactQuietMinutes: r.int('compactQuietMinutes', 0, 10_080),
  };
  if (config.sourceTimeZone !== undefined) {
    try {
      // The splitter validates the zone the same way at its first invocation; fail the deployment instead.
      new TimestampReader(config.sourceTimeZone);
    } catch (err) {
      throw new ConfigError('sourceTimeZone', (err as Error).message);
    }
  }
  if (config.anomalyRules !== undefined) {
    try {
      rulesConfigFromText(config.anomalyRules, 'context anomalyRules');
    } catch (err) {
      throw new ConfigError('anomalyRules', (err as Error).message);
    }
  }
  if (!LOG_RETENTION_DAYS.includes(config.logRetentionDays)) {
    throw new ConfigError(
      'logRetentionDays',
      `must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${config.logRetentionDays}`,
    );
  }
  if (config.rawArchiveDays < config.rawInfrequentAccessDays + 30) {
    // S3 requires 30 days in STANDARD_IA before the next transition.
    throw new ConfigError(
      'rawArchiveDays',
      `must be at least rawInfrequentAccessDays + 30 (${config.rawInfrequentAccessDays + 30}), got ${config.rawArchiveDays}`,
    );
  }
  if ((config.account === undefined) !== (config.region === undefined)) {
    throw new ConfigError(
      config.account === undefined ? 'account' : 'region',
      'account and region are given together or not at all',
    );
  }
  return config;
}

/** Context values are JSON from `cdk.json` or strings from `-c key=value`: accept both. */
class Reader {
  constructor(private readonly get: Lookup) {}

  private raw(key: string): unknown {
    const value = this.get(key);
    return value === '' ? undefined : value;
  }

  string(key: string, pattern: RegExp): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new ConfigError(key, `must match ${pattern}, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  int(key: string, min: number, max: number): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return n;
  }

  bool(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new ConfigError(key, `must be true or false, got ${JSON.stringify(value)}`);
  }

  /** JSON text, given as text (`-c`) or as a JSON value (`cdk.json`). */
  json(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  /** A JSON array of strings, or a comma-separated string. */
  list(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
    if (!Array.isArray(items) || items.length === 0 || !items.every((s) => typeof s === 'string' && s !== '')) {
      throw new ConfigError(key, `must be a non-empty list of strings, got ${JSON.stringify(value)}`);
    }
    return items as string[];
  }
}
