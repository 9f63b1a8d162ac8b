/**
 * What a generator run takes, its defaults and limits, and the parsing of the
 * command line's spellings of them (`10m`, `2025-08-11`).
 */
import type { ReadingTransform } from './readings.ts';

export interface GenerateProgress {
  readonly rows: number;
  /** The interval just written, `2025-08-14T15:00:00Z`. */
  readonly at: string;
  /** Share of the intervals done, (0, 1]. */
  readonly fraction: number;
}

export interface GenerateOptions {
  /** Directory to write into; created if missing. Files of the same names are overwritten. @default './dubegrid-sample' */
  readonly out?: string;
  /** @default 4 */
  readonly substations?: number;
  /** @default 7 */
  readonly days?: number;
  /** First day, `YYYY-MM-DD`, from 00:00 UTC. @default '2025-08-11' (a Monday) */
  readonly start?: string;
  /** Minutes between readings; divides a day. @default 10 */
  readonly intervalMinutes?: number;
  /** Unsigned 32-bit integer. @default 1 */
  readonly seed?: number;
  /** Sees every reading before it is written: the place for fault injection. @default none */
  readonly transform?: ReadingTransform;
  /** Called after each interval is written. */
  readonly onProgress?: (progress: GenerateProgress) => void;
}

/** Where `--anomalies` writes the ground truth, in the output dir, unless `--labels` says. */
export const LABELS_FILE = 'labels.csv';

export const DEFAULT_GENERATE_OPTIONS = {
  out: './dubegrid-sample',
  substations: 4,
  days: 7,
  start: '2025-08-11',
  intervalMinutes: 10,
  seed: 1,
} as const satisfies GenerateOptions;

export const GENERATE_LIMITS = {
  substations: { min: 1, max: 10_000 },
  days: { min: 1, max: 3_660 },
  intervalMinutes: { min: 1, max: 1_440 },
  seed: { min: 0, max: 0xffff_ffff },
  year: { min: 1990, max: 2100 },
} as const;

/** An option out of bounds or unreadable; says which, so that a command line can name its flag. */
export class GenerateOptionsError extends Error {
  override name = 'GenerateOptionsError';

  constructor(
    readonly option: OptionName,
    /** What is wrong, after the option's name: "must be …, got …". */
    readonly problem: string,
  ) {
    super(`${option} ${problem}`);
  }
}

export type OptionName = keyof typeof DEFAULT_GENERATE_OPTIONS;

export interface ResolvedGenerateOptions {
  readonly out: string;
  readonly substations: number;
  readonly days: number;
  /** Epoch ms of the first reading. */
  readonly startMs: number;
  readonly intervalMinutes: number;
  readonly seed: number;
  readonly transform: ReadingTransform | undefined;
  readonly onProgress: ((progress: GenerateProgress) => void) | undefined;
}

/** Defaults filled in and every value checked; throws `GenerateOptionsError` naming the first bad one. */
export function resolveGenerateOptions(options: GenerateOptions): ResolvedGenerateOptions {
  const o = { ...DEFAULT_GENERATE_OPTIONS, ...definedOnly(options) };
  if (typeof o.out !== 'string' || o.out.trim() === '')
    throw new GenerateOptionsError('out', 'must be a directory path');
  checkInteger('substations', o.substations, GENERATE_LIMITS.substations);
  checkInteger('days', o.days, GENERATE_LIMITS.days);
  checkInteger('intervalMinutes', o.intervalMinutes, GENERATE_LIMITS.intervalMinutes);
  if (1440 % o.intervalMinutes !== 0) {
    throw new GenerateOptionsError(
      'intervalMinutes',
      `must divide a day evenly (e.g. 5m, 10m, 15m, 30m, 1h), got ${o.intervalMinutes} minutes`,
    );
  }
  checkInteger('seed', o.seed, GENERATE_LIMITS.seed);
  return {
    out: o.out,
    substations: o.substations,
    days: o.days,
    startMs: parseStartDate(o.start),
    intervalMinutes: o.intervalMinutes,
    seed: o.seed,
    transform: options.transform,
    onProgress: options.onProgress,
  };
}

/** `YYYY-MM-DD` → epoch ms of its 00:00 UTC. */
export function parseStartDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) throw new GenerateOptionsError('start', `must be a date as YYYY-MM-DD, got "${text}"`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    throw new GenerateOptionsError('start', `must be a calendar date, got ${text}`);
  }
  const { min, max } = GENERATE_LIMITS.year;
  if (year < min || year > max)
    throw new GenerateOptionsError('start', `must be in the years ${min} to ${max}, got ${text}`);
  return ms;
}

/** `5m`, `10min`, `1h`, `90m` → minutes. */
export function parseInterval(text: string): number {
  const m = /^(\d+)\s*(m|min|mins|h|hr|hrs)$/i.exec(text.trim());
  if (!m) throw new GenerateOptionsError('intervalMinutes', `must look like 5m, 10m, 30m or 1h, got "${text}"`);
  const n = Number(m[1]);
  return (m[2] as string).toLowerCase().startsWith('h') ? n * 60 : n;
}

/** A whole number given as text (a command line's) for `option`. */
export function parseWholeNumber(option: OptionName, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new GenerateOptionsError(option, `must be a whole number, got "${text}"`);
  return Number(text.trim());
}

function checkInteger(
  option: OptionName,
  value: unknown,
  limits: { readonly min: number; readonly max: number },
): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw new GenerateOptionsError(
      option,
      `must be a whole number from ${limits.min} to ${limits.max}, got ${String(value)}`,
    );
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
