/**
 * The reading event, contract v1 (docs/architecture.md → "The reading event"). Flat, snake_case,
 * one per reading: Firehose converts it to Parquet column by column.
 */
import { sha256Hex } from './hash.ts';
import { StringInterner } from './intern.ts';
import { BUILTIN_UNITS, type Unit, type UnitRegistry } from './units.ts';

export const EVENT_VERSION = 1 as const;

export const PHASES = ['L1', 'L2', 'L3', 'N'] as const;
export type Phase = (typeof PHASES)[number];

export interface ReadingEvent {
  v: typeof EVENT_VERSION;
  event_id: string;
  asset_id: string;
  substation_id: string;
  substation_name: string;
  feeder_id: string;
  measurement: string;
  phase: Phase | null;
  /** A canonical unit, or one a stored mapping declared (the unit registry). */
  unit: Unit;
  value: number;
  ts: string;
  source_bucket: string;
  source_key: string;
  source_etag: string;
  source_line: number;
  ingested_at: string;
}

/** Field order of the contract: the Glue/Parquet schema follows it. */
export const EVENT_FIELDS = [
  'v',
  'event_id',
  'asset_id',
  'substation_id',
  'substation_name',
  'feeder_id',
  'measurement',
  'phase',
  'unit',
  'value',
  'ts',
  'source_bucket',
  'source_key',
  'source_etag',
  'source_line',
  'ingested_at',
] as const satisfies readonly (keyof ReadingEvent)[];

/** `YYYY-MM-DDTHH:MM:SS.sssZ`, exactly what `Date.prototype.toISOString()` prints. */
export const CANONICAL_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Canonical form of an instant; string order is then time order everywhere. */
export function canonicalTs(date: Date | number): string {
  return new Date(date).toISOString();
}

export function isCanonicalTs(value: string): boolean {
  return CANONICAL_TS.test(value) && new Date(value).toISOString() === value;
}

/** Asset id of a reading: `<substation>:<feeder>` for feeder readings, `<substation>` otherwise. */
export function assetIdOf(substationId: string, feederId: string): string {
  return feederId === '' ? substationId : `${substationId}:${feederId}`;
}

/** Series id: one time series is one measurement of one asset. */
export function seriesIdOf(assetId: string, measurement: string): string {
  return `${assetId}#${measurement}`;
}

/**
 * Deterministic event id from the natural key (asset, measurement, time): a reading
 * seen twice — a re-uploaded file, a replay, overlapping files — is the same event.
 * 128 bits of SHA-256, hex.
 */
export function eventIdOf(assetId: string, measurement: string, ts: string): string {
  return sha256Hex(`${assetId}\u0000${measurement}\u0000${ts}`).slice(0, 32);
}

const MOD64 = 1n << 64n;

/** The 64-bit term an event id contributes to an order-independent digest. */
export function eventIdTerm(eventId: string): bigint {
  // event ids are hex already: their first 16 digits are a uniform 64-bit value
  return BigInt(`0x${eventId.slice(0, 16)}`);
}

/**
 * Order-independent digest of a multiset of event ids: the sum of their 64-bit terms
 * modulo 2^64. Manifests, the time-series table and the lake can each be summed in
 * any order and compared.
 */
export class EventIdDigest {
  // The sum is kept as two 32-bit halves in plain numbers: the splitter adds one term per
  // event on its hot path, where a BigInt addition and modulo per event cost ~0.3 µs.
  private hi = 0;
  private lo = 0;
  count = 0;

  add(eventId: string): this {
    this.lo += hex32(eventId, 8);
    this.hi += hex32(eventId, 0);
    if (this.lo >= TWO_32) {
      this.lo -= TWO_32;
      this.hi += 1;
    }
    if (this.hi >= TWO_32) this.hi -= TWO_32;
    this.count += 1;
    return this;
  }

  merge(other: EventIdDigest): this {
    this.setSum(this.sum + other.sum);
    this.count += other.count;
    return this;
  }

  /** The sum of the terms modulo 2^64. */
  get sum(): bigint {
    return (BigInt(this.hi) << 32n) + BigInt(this.lo);
  }

  /** 16 hex digits. */
  toString(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }

  /** A digest as `toString` printed it (a manifest's `event_id_digest`), standing for `count` ids. */
  static parse(hex: string, count = 0): EventIdDigest {
    if (!/^[0-9a-f]{16}$/.test(hex))
      throw new RangeError(`an event-id digest is 16 hex digits, got ${JSON.stringify(hex)}`);
    return EventIdDigest.ofSum(BigInt(`0x${hex}`), count);
  }

  /** A digest from a sum of `eventIdTerm`s added up elsewhere (by a SQL engine, say), any size. */
  static ofSum(sum: bigint, count: number): EventIdDigest {
    const d = new EventIdDigest();
    d.setSum(sum);
    d.count = count;
    return d;
  }

  private setSum(sum: bigint): void {
    const s = ((sum % MOD64) + MOD64) % MOD64;
    this.hi = Number(s >> 32n);
    this.lo = Number(s & 0xffffffffn);
  }
}

const TWO_32 = 2 ** 32;

/** The 32-bit value of 8 lower-case hex digits from `at` (an event id's): no substring, no parseInt. */
function hex32(id: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = id.charCodeAt(i);
    v = v * 16 + (c <= 57 ? c - 48 : c - 87);
  }
  return v;
}

/**
 * Ordering of two emissions of the same natural key: the one emitted later wins
 * (`ingested_at`, then `source_key`, then `source_line`). Positive when `a` wins.
 */
export function compareEmission(
  a: Pick<ReadingEvent, 'ingested_at' | 'source_key' | 'source_line'>,
  b: Pick<ReadingEvent, 'ingested_at' | 'source_key' | 'source_line'>,
): number {
  if (a.ingested_at !== b.ingested_at) return a.ingested_at < b.ingested_at ? -1 : 1;
  if (a.source_key !== b.source_key) return a.source_key < b.source_key ? -1 : 1;
  return a.source_line - b.source_line;
}

export class EventValidationError extends Error {
  override name = 'EventValidationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export type ValidationResult = { ok: true; event: ReadingEvent } | { ok: false; errors: EventValidationError[] };

const STRING_FIELDS = [
  'event_id',
  'asset_id',
  'substation_id',
  'substation_name',
  'feeder_id',
  'measurement',
  'source_bucket',
  'source_key',
  'source_etag',
] as const;
const REQUIRED_NON_EMPTY = new Set<string>([
  'event_id',
  'asset_id',
  'substation_id',
  'measurement',
  'source_bucket',
  'source_key',
]);
const KNOWN_FIELDS = new Set<string>(EVENT_FIELDS);
const PHASE_SET = new Set<string>(PHASES);
const MEASUREMENT_SLUG = /^[a-z][a-z0-9_]*$/;

/**
 * Runtime validation of a decoded event. Collects every problem, each naming its
 * field, so a quarantine entry says all that is wrong at once. `units`: the registry
 * the unit must be in (the built-in units plus the stored mappings' declarations).
 * A valid event's recurring strings are swapped for their interned copies (equal values:
 * nothing a reader can see changes; an object its caller froze is left as it is).
 */
export function validateReadingEvent(input: unknown, units: UnitRegistry = BUILTIN_UNITS): ValidationResult {
  const errors: EventValidationError[] = [];
  const fail = (field: string, message: string): void => {
    errors.push(new EventValidationError(field, message));
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [new EventValidationError('(event)', 'is not a JSON object')] };
  }
  const e = input as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!KNOWN_FIELDS.has(key)) fail(key, 'is not a field of contract v1');
  }
  if (e.v !== EVENT_VERSION) fail('v', `must be ${EVENT_VERSION}, got ${JSON.stringify(e.v)}`);
  for (const field of STRING_FIELDS) {
    const value = e[field];
    if (typeof value !== 'string') fail(field, `must be a string, got ${describe(value)}`);
    else if (REQUIRED_NON_EMPTY.has(field) && value === '') fail(field, 'must not be empty');
  }
  if (typeof e.measurement === 'string' && e.measurement !== '' && !MEASUREMENT_SLUG.test(e.measurement)) {
    fail('measurement', `must be a lower-case slug, got ${JSON.stringify(e.measurement)}`);
  }
  if (e.phase !== null && !(typeof e.phase === 'string' && PHASE_SET.has(e.phase))) {
    fail('phase', `must be one of ${PHASES.join('/')} or null, got ${describe(e.phase)}`);
  }
  if (typeof e.unit !== 'string' || !units.has(e.unit)) {
    fail(
      'unit',
      `must be a canonical unit or one a stored mapping declared (${units.names().join(', ')}), got ${describe(e.unit)}`,
    );
  }
  if (typeof e.value !== 'number' || !Number.isFinite(e.value)) {
    fail('value', `must be a finite number, got ${describe(e.value)}`);
  }
  for (const field of ['ts', 'ingested_at'] as const) {
    const value = e[field];
    if (typeof value !== 'string' || !isCanonicalTs(value)) {
      fail(field, `must be a canonical UTC time YYYY-MM-DDTHH:MM:SS.sssZ, got ${describe(value)}`);
    }
  }
  if (typeof e.source_line !== 'number' || !Number.isInteger(e.source_line) || e.source_line < 1) {
    fail('source_line', `must be a positive integer, got ${describe(e.source_line)}`);
  }
  if (errors.length === 0) {
    const expected = eventIdOf(e.asset_id as string, e.measurement as string, e.ts as string);
    if (e.event_id !== expected) fail('event_id', `does not match the natural key (expected ${expected})`);
  }
  if (errors.length > 0) return { ok: false, errors };
  if (!Object.isFrozen(e)) {
    for (const field of RECURRING_FIELDS) {
      const value = e[field];
      if (typeof value === 'string') e[field] = recurring.intern(value);
    }
  }
  return { ok: true, event: e as unknown as ReadingEvent };
}

/**
 * The fields whose values many events share (all but `event_id` and `value`): a valid event
 * gets the one interned copy of each, so the batches and buffers that hold tens of thousands
 * of decoded events hold each such string once (`intern.ts`).
 */
const RECURRING_FIELDS = [
  'asset_id',
  'substation_id',
  'substation_name',
  'feeder_id',
  'measurement',
  'phase',
  'unit',
  'ts',
  'source_bucket',
  'source_key',
  'source_etag',
  'ingested_at',
] as const;
const recurring = new StringInterner();

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}
