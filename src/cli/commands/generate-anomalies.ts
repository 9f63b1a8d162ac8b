/**
 * `dubegrid generate --anomalies [--labels FILE]`: the run with the
 * anomaly injection of `src/generate/anomalies.ts` when they ask for it.
 */
import { relative } from 'node:path';
import { generate, type GenerateOptions, type GenerateSummary } from '../../generate/index.ts';
import { generateLabelled, type LabelledGenerateSummary } from '../../generate/labelled.ts';
import { SLOT_READINGS } from '../../generate/anomalies.ts';
import { progress, UsageError } from '../output.ts';

export interface AnomalyFlags {
  readonly anomalies?: boolean;
  readonly labels?: string;
}

/** Runs the generator, with anomalies and labels when the flags say so. */
export async function generateWith(
  options: GenerateOptions,
  flags: AnomalyFlags,
): Promise<GenerateSummary | LabelledGenerateSummary> {
  if (flags.labels !== undefined && !flags.anomalies) throw new UsageError('--labels needs --anomalies');
  if (!flags.anomalies) return generate(options);
  const summary = await generateLabelled({
    ...options,
    labels: flags.labels,
  });
  const warning = missingRulesWarning(summary);
  if (warning) progress(warning);
  return summary;
}

/** Said on stderr when a rule class got no anomaly, so a small run is not mistaken for a full one. */
export function missingRulesWarning(summary: LabelledGenerateSummary): string {
  if (summary.missing_rules.length === 0) return '';
  return (
    `warning: no anomaly of ${summary.missing_rules.join(', ')}: this network and period have room for ${summary.anomalies} ` +
    `(one per substation per ${SLOT_READINGS} intervals, after the first ${SLOT_READINGS}); give more --substations or --days for every rule class`
  );
}

/** The line a person reads about the injected anomalies, or nothing. */
export function anomalyLine(summary: GenerateSummary | LabelledGenerateSummary): string {
  if (!('labels_file' in summary)) return '';
  const byRule = Object.entries(summary.anomalies_by_rule)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
  const shown = relative(process.cwd(), summary.labels_file);
  return `injected ${summary.anomalies} labelled anomalies (${byRule}); ground truth: ${shown.startsWith('..') ? summary.labels_file : shown}`;
}
