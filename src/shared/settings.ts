/**
 * The deployed settings, read from the environment in one place: every `ENV` key is
 * read, validated and typed here, and a bad value fails with an error that names the
 * variable and says what it should be. Handlers, the embedded services, the CLI and
 * the ops commands all take their settings from `readSettings`.
 */
import { ENV } from './functions.ts';

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export interface Settings {
  /** The data bucket; unset: the name the clients derive from the account. */
  readonly bucket?: string;
  /** The Kinesis stream; unset: `STREAM.streamName`. */
  readonly stream?: string;
  readonly alertsTopicArn?: string;
  /** `readings` TTL in days after each reading's own time; unset: no expiry. */
  readonly readingsTtlDays?: number;
  /** IANA zone of zone-less LV monitor timestamps; unset: UTC. */
  readonly sourceTimeZone?: string;
  readonly awsAccount?: string;
  /** JSON overrides of the anomaly rules, as text (the anomaly consumer parses and checks it). */
  readonly anomalyRules?: string;
  /** Quiet time before a scheduled compaction rewrites a day partition; unset: `COMPACTION.defaultQuietMinutes`. */
  readonly compactQuietMinutes?: number;
  /** The state machine that carries on a split longer than one invocation; unset: splits run to their end. */
  readonly splitStateMachineArn?: string;
  /** Attempts per AWS request, 1–20; unset: the SDK's default (3). */
  readonly maxAttempts?: number;
}

export type SettingName = keyof Settings;

/** Every setting in `env`, validated. Unset and blank values are absent. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const out: { -readonly [K in SettingName]?: Settings[K] } = {};
  const bucket = text(env, 'bucket');
  if (bucket !== undefined) out.bucket = bucket;
  const stream = text(env, 'stream');
  if (stream !== undefined) out.stream = stream;
  const machine = text(env, 'splitStateMachineArn');
  if (machine !== undefined) out.splitStateMachineArn = machine;
  const topic = text(env, 'alertsTopicArn');
  if (topic !== undefined) {
    if (!/^arn:aws[\w-]*:sns:/.test(topic))
      throw new SettingsError(
        `${ENV.alertsTopicArn} must be an SNS topic ARN (arn:aws:sns:…), got ${JSON.stringify(topic)}`,
      );
    out.alertsTopicArn = topic;
  }
  const ttl = parseTtlDays(env[ENV.readingsTtlDays]);
  if (ttl !== undefined) out.readingsTtlDays = ttl;
  const zone = parseTimeZone(env[ENV.sourceTimeZone]);
  if (zone !== undefined) out.sourceTimeZone = zone;
  const account = text(env, 'awsAccount');
  if (account !== undefined) {
    if (!/^\d{12}$/.test(account))
      throw new SettingsError(`${ENV.awsAccount} must be a 12-digit AWS account id, got ${JSON.stringify(account)}`);
    out.awsAccount = account;
  }
  const rules = text(env, 'anomalyRules');
  if (rules !== undefined) out.anomalyRules = rules;
  const quiet = parseQuietMinutes(env[ENV.compactQuietMinutes]);
  if (quiet !== undefined) out.compactQuietMinutes = quiet;
  const attempts = text(env, 'maxAttempts');
  if (attempts !== undefined) {
    const n = Number(attempts);
    if (!Number.isInteger(n) || n < 1 || n > 20)
      throw new SettingsError(
        `${ENV.maxAttempts} must be a whole number from 1 to 20, got ${JSON.stringify(attempts)}`,
      );
    out.maxAttempts = n;
  }
  return out;
}

/** A setting that must be there: its value, or an error saying who needs it and why. */
export function requireSetting<K extends SettingName>(
  settings: Settings,
  name: K,
  why: string,
): NonNullable<Settings[K]> {
  const value = settings[name];
  if (value === undefined) throw new SettingsError(`${ENV[name]} is not set: ${why}`);
  return value as NonNullable<Settings[K]>;
}

/** `ENV.readingsTtlDays`: a positive number of days, or unset/blank for no expiry. */
export function parseTtlDays(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const days = Number(value);
  if (!Number.isFinite(days) || days <= 0)
    throw new SettingsError(`${ENV.readingsTtlDays} must be a positive number of days, got ${JSON.stringify(value)}`);
  return days;
}

/** `ENV.compactQuietMinutes`: zero or more minutes, or unset/blank for the default. */
export function parseQuietMinutes(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes < 0)
    throw new SettingsError(
      `${ENV.compactQuietMinutes} must be zero or a positive number of minutes, got ${JSON.stringify(value)}`,
    );
  return minutes;
}

/** `ENV.sourceTimeZone`: `UTC` or an IANA zone name, or unset/blank for UTC. */
export function parseTimeZone(value: string | undefined): string | undefined {
  const zone = value?.trim();
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch (err) {
    throw new SettingsError(
      `${ENV.sourceTimeZone}: unknown time zone ${JSON.stringify(zone)} (expected UTC or an IANA name such as Europe/London)`,
      { cause: err },
    );
  }
  return zone;
}

function text(env: NodeJS.ProcessEnv, name: SettingName): string | undefined {
  return env[ENV[name]]?.trim() || undefined;
}
