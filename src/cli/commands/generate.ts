import { relative } from 'node:path';
import {
  GenerateOptionsError,
  parseInterval,
  parseWholeNumber,
  type GenerateOptions,
  type GenerateProgress,
  type GenerateSummary,
  type OptionName,
} from '../../generate/index.ts';
import type { Action } from '../command.ts';
import { meter, table, UsageError } from '../output.ts';
import { anomalyLine, generateWith, type AnomalyFlags } from './generate-anomalies.ts';

interface GenerateFlags extends AnomalyFlags {
  readonly out: string;
  readonly substations: string;
  readonly days: string;
  readonly start: string;
  readonly interval: string;
  readonly seed: string;
}

export const runGenerate: Action<GenerateFlags> = async (_args, opts) => {
  const began = performance.now();
  const summary = await generateWith({ ...parseFlags(opts), onProgress: metered }, opts).catch(asUsageError);
  const elapsedMs = Math.round(performance.now() - began);
  return {
    json: { ...summary, elapsed_ms: elapsedMs },
    human: [render(summary, elapsedMs), anomalyLine(summary)].filter(Boolean).join('\n'),
  };
};

function parseFlags(flags: GenerateFlags): GenerateOptions {
  try {
    return {
      out: flags.out,
      substations: parseWholeNumber('substations', flags.substations),
      days: parseWholeNumber('days', flags.days),
      start: flags.start,
      intervalMinutes: parseInterval(flags.interval),
      seed: parseWholeNumber('seed', flags.seed),
    };
  } catch (err) {
    return asUsageError(err);
  }
}

/** A bad option is the user's to fix: exit 2 with its one-line reason, naming the flag. */
function asUsageError(err: unknown): never {
  if (!(err instanceof GenerateOptionsError)) throw err;
  throw new UsageError(`--${FLAG_OF[err.option]} ${err.problem}`, { cause: err });
}

const FLAG_OF: Record<OptionName, string> = {
  out: 'out',
  substations: 'substations',
  days: 'days',
  start: 'start',
  intervalMinutes: 'interval',
  seed: 'seed',
};

/** Rows written of the run's total (the share of intervals done says how many that is). */
function metered(p: GenerateProgress): void {
  meter({ task: 'generate', done: p.rows, total: Math.max(p.rows, Math.round(p.rows / p.fraction)), unit: 'rows' });
}

function render(s: GenerateSummary, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((s.rows / elapsedMs) * 1000) : s.rows;
  const files = s.files.map((f) => [relative(s.out, f.path), f.rows.toLocaleString('en-GB')]);
  return [
    `generated ${s.rows.toLocaleString('en-GB')} readings for ${s.substations} substations (${s.feeders} feeders, ` +
      `${s.substations_with_generation} with solar PV), ${s.start} to ${s.end} every ${s.interval_minutes} min, seed ${s.seed}`,
    `into ${s.out} (assets: ${relative(s.out, s.assets_file)}) in ${(elapsedMs / 1000).toFixed(1)} s, ${rate.toLocaleString('en-GB')} rows/s`,
    '',
    table(['file', 'rows'], files),
  ].join('\n');
}
