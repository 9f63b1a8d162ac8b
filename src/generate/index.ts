/**
 * The realistic data generator: a seeded network of LV substations and what their
 * monitors read, written as monthly LV load monitor CSVs plus `assets.csv`.
 * Deterministic: one seed, byte-identical files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assetsCsv, buildAssets } from './assets.ts';
import { instantOf } from './calendar.ts';
import { SubstationEmitter } from './emitter.ts';
import { formatTimestamp } from './lines.ts';
import { snapshotOf } from './model.ts';
import { resolveGenerateOptions, type GenerateOptions } from './options.ts';
import { MonthFiles, type WrittenFile } from './writer.ts';

export { assetRecords, buildAssets, type AssetRecord, type FeederAsset, type SubstationAsset } from './assets.ts';
export { instantOf, type Instant } from './calendar.ts';
export { noiseAt, snapshotOf, type FeederSnapshot, type SubstationSnapshot, type WhiteNoise } from './model.ts';
export {
  DEFAULT_GENERATE_OPTIONS,
  GENERATE_LIMITS,
  GenerateOptionsError,
  parseInterval,
  parseStartDate,
  parseWholeNumber,
  type GenerateOptions,
  type GenerateProgress,
  type OptionName,
} from './options.ts';
export { FEEDER_MEASURES, TRANSFORMER_MEASURE, type Measure, type Reading, type ReadingTransform } from './readings.ts';
export { LV_MONITOR_COLUMNS, monthFilePath, type WrittenFile } from './writer.ts';

export const ASSETS_FILE = 'assets.csv';

export interface GenerateSummary {
  /** Absolute path of the output directory. */
  readonly out: string;
  readonly files: readonly WrittenFile[];
  /** Readings written, over all files (headers not counted). */
  readonly rows: number;
  readonly substations: number;
  readonly substations_with_generation: number;
  readonly feeders: number;
  readonly assets_file: string;
  /** First reading's time. */
  readonly start: string;
  /** End of the span, exclusive: `start` + `days`. */
  readonly end: string;
  /** Last reading's time. */
  readonly last_reading: string;
  readonly interval_minutes: number;
  readonly seed: number;
}

/** Writes the network's `assets.csv` and its readings from `start` for `days`. */
export async function generate(options: GenerateOptions = {}): Promise<GenerateSummary> {
  const o = resolveGenerateOptions(options);
  const out = resolve(o.out);
  const assets = buildAssets(o.seed, o.substations);
  await mkdir(out, { recursive: true });
  const assetsFile = join(out, ASSETS_FILE);
  await writeFile(assetsFile, assetsCsv(assets));

  const stepMs = o.intervalMinutes * 60_000;
  const endMs = o.startMs + o.days * 86_400_000;
  const intervals = (endMs - o.startMs) / stepMs;
  const emitters = assets.map((a) => new SubstationEmitter(a));
  const files = new MonthFiles(out);
  let rows = 0;
  try {
    for (let i = 0; i < intervals; i++) {
      const ts = o.startMs + i * stepMs;
      const at = instantOf(ts, o.intervalMinutes);
      const file = await files.fileFor(ts);
      for (const emitter of emitters) {
        const values = emitter.values(snapshotOf(emitter.asset, at));
        rows += o.transform
          ? emitter.emitTransformed(file, ts, at.text, values, o.transform)
          : emitter.emit(file, at.text, values);
      }
      await file.maybeFlush();
      o.onProgress?.({ rows, at: at.text, fraction: (i + 1) / intervals });
    }
  } catch (err) {
    files.abort();
    throw err;
  }
  const written = await files.close();
  return {
    out,
    files: written,
    rows,
    substations: assets.length,
    substations_with_generation: assets.filter((a) => a.hasGeneration).length,
    feeders: assets.reduce((s, a) => s + a.feeders.length, 0),
    assets_file: assetsFile,
    start: formatTimestamp(o.startMs),
    end: formatTimestamp(endMs),
    last_reading: formatTimestamp(endMs - stepMs),
    interval_minutes: o.intervalMinutes,
    seed: o.seed,
  };
}
