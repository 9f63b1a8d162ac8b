/**
 * Parsing `assets.csv` (the format `dubegrid generate` writes; its columns have one
 * definition, `shared/assets-csv.ts`) into registry items. A bad row is
 * rejected with its line and reason; the good rows around it load.
 */
import { parse } from 'csv-parse/sync';
import type { AssetItem } from '../../shared/asset-item.ts';
import { ASSETS_CSV_COLUMNS, ASSETS_REQUIRED_COLUMNS } from '../../shared/assets-csv.ts';
import { assetIdOf } from '../../shared/event.ts';
import { registryIntervalMs } from '../../shared/expected.ts';
import type { QuarantineReason } from '../../shared/quarantine.ts';

export interface RejectedRow {
  /** 1-based line in the file (the header is line 1). */
  readonly line: number;
  readonly raw: string;
  readonly reason: QuarantineReason;
  /** What exactly is wrong, for a person. */
  readonly message: string;
}

export interface ParsedAssets {
  readonly items: AssetItem[];
  readonly rows: number;
  readonly rejected: RejectedRow[];
}

/** The object as a whole cannot be read as an assets file. */
export class AssetsFileError extends Error {
  override name = 'AssetsFileError';
  constructor(
    readonly reason: QuarantineReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function parseAssetsCsv(text: string, sourceKey: string, loadedAt: string): ParsedAssets {
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
      raw: true,
    }) as unknown as typeof records;
  } catch (err) {
    throw new AssetsFileError('not_csv', `${sourceKey} is not CSV: ${(err as Error).message}`, { cause: err });
  }
  const header = (records[0]?.record ?? []).map((h) => h.trim().toLowerCase());
  const missing = ASSETS_REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new AssetsFileError(
      'unknown_format',
      `${sourceKey} is not an assets file: missing column(s) ${missing.join(', ')} (expected ${ASSETS_CSV_COLUMNS.join(',')})`,
    );
  }
  const col = (row: string[], name: string): string => row[header.indexOf(name)]?.trim() ?? '';
  const feeders: AssetItem[] = [];
  const rejected: RejectedRow[] = [];
  const substations = new Map<
    string,
    { name: string; kva: number; gen: boolean; feeders: number; lat?: number; lon?: number; interval?: number }
  >();
  records.slice(1).forEach(({ record: row, info, raw: rawText }) => {
    const line = info.lines;
    const raw = rawText.replace(/\r?\n$/, '');
    const fail = (reason: QuarantineReason, message: string): void =>
      void rejected.push({ line, raw, reason, message });
    const sub = col(row, 'substation_number');
    const feeder = col(row, 'feeder_id');
    const kva = Number(col(row, 'transformer_kva'));
    const ratedText = col(row, 'feeder_rated_current_a');
    const rated = Number(ratedText);
    const gen = parseFlag(col(row, 'has_generation'));
    if (sub === '') return fail('missing_field', 'substation_number is empty');
    if (!(Number.isFinite(kva) && kva > 0))
      return fail('non_numeric', `transformer_kva must be a positive number, got "${col(row, 'transformer_kva')}"`);
    if (feeder !== '' && !(Number.isFinite(rated) && rated > 0))
      return fail('non_numeric', `feeder_rated_current_a must be a positive number, got "${ratedText}"`);
    if (gen === undefined)
      return fail('invalid_field', `has_generation must be true or false, got "${col(row, 'has_generation')}"`);
    let intervalMs: number | undefined;
    try {
      intervalMs = registryIntervalMs(col(row, 'interval_minutes'));
    } catch (err) {
      return fail('invalid_field', (err as Error).message);
    }
    const interval = intervalMs === undefined ? undefined : intervalMs / 60_000;
    const lat = optionalNumber(col(row, 'latitude'));
    const lon = optionalNumber(col(row, 'longitude'));
    const s = substations.get(sub);
    if (s && s.kva !== kva)
      return fail('invalid_field', `transformer_kva ${kva} contradicts ${s.kva} given for ${sub} on an earlier row`);
    const name = col(row, 'substation_name');
    substations.set(sub, {
      name: s?.name || name,
      kva,
      gen: (s?.gen ?? false) || gen,
      feeders: (s?.feeders ?? 0) + (feeder === '' ? 0 : 1),
      ...(lat !== undefined ? { lat } : s?.lat !== undefined ? { lat: s.lat } : {}),
      ...(lon !== undefined ? { lon } : s?.lon !== undefined ? { lon: s.lon } : {}),
      // the substation's monitor reports with its feeders: the shortest interval given on any row
      ...shortest(s?.interval, interval),
    });
    if (feeder === '') return;
    feeders.push({
      asset_id: assetIdOf(sub, feeder),
      kind: 'feeder',
      substation_id: sub,
      substation_name: name,
      feeder_id: feeder,
      transformer_kva: kva,
      rated_current_a: rated,
      has_generation: gen,
      ...(interval !== undefined ? { interval_minutes: interval } : {}),
      ...(lat !== undefined ? { latitude: lat } : {}),
      ...(lon !== undefined ? { longitude: lon } : {}),
      source_key: sourceKey,
      loaded_at: loadedAt,
    });
  });
  const subs: AssetItem[] = [...substations.entries()].map(([id, s]) => ({
    asset_id: id,
    kind: 'substation',
    substation_id: id,
    substation_name: s.name,
    feeder_id: '',
    transformer_kva: s.kva,
    has_generation: s.gen,
    feeders: s.feeders,
    ...(s.interval !== undefined ? { interval_minutes: s.interval } : {}),
    ...(s.lat !== undefined ? { latitude: s.lat } : {}),
    ...(s.lon !== undefined ? { longitude: s.lon } : {}),
    source_key: sourceKey,
    loaded_at: loadedAt,
  }));
  // A feeder id that repeats within a substation: the later row wins, as a correction would.
  const byId = new Map<string, AssetItem>();
  for (const item of [...subs, ...feeders]) byId.set(item.asset_id, item);
  return { items: [...byId.values()], rows: records.length - 1, rejected };
}

function parseFlag(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (['true', '1', 'yes', 'y'].includes(t)) return true;
  if (['false', '0', 'no', 'n', ''].includes(t)) return false;
  return undefined;
}

function shortest(a: number | undefined, b: number | undefined): { interval?: number } {
  const xs = [a, b].filter((x): x is number => x !== undefined);
  return xs.length ? { interval: Math.min(...xs) } : {};
}

function optionalNumber(text: string): number | undefined {
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
