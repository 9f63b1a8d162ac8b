/**
 * `generate` with labelled anomalies (`dubegrid generate --anomalies [--labels FILE]`):
 * the same network and clean readings, the plan of `anomalies.ts` injected through
 * the per-reading transform, and the ground truth written beside them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ANOMALY_RULES, anomalyTransform, labelsCsv, planAnomalies, type AnomalyRule } from './anomalies.ts';
import { buildAssets } from './assets.ts';
import { generate, type GenerateSummary } from './index.ts';
import { LABELS_FILE, resolveGenerateOptions, type GenerateOptions } from './options.ts';
import type { ReadingTransform } from './readings.ts';

/** The ground truth's file name in the output directory unless `--labels` says otherwise. */
export { LABELS_FILE };

export interface LabelledGenerateOptions extends GenerateOptions {
  /** Where the ground truth CSV goes. @default '<out>/labels.csv' */
  readonly labels?: string | undefined;
}

export interface LabelledGenerateSummary extends GenerateSummary {
  readonly anomalies: number;
  readonly anomalies_by_rule: Readonly<Record<AnomalyRule, number>>;
  readonly labels_file: string;
  /** Rule classes the network and period had no room for (one anomaly per substation per slot of readings). */
  readonly missing_rules: readonly AnomalyRule[];
}

export async function generateLabelled(options: LabelledGenerateOptions = {}): Promise<LabelledGenerateSummary> {
  const o = resolveGenerateOptions(options);
  const stepMs = o.intervalMinutes * 60_000;
  const intervals = (o.days * 86_400_000) / stepMs;
  const plan = planAnomalies(buildAssets(o.seed, o.substations), o.seed, o.startMs, stepMs, intervals);
  const inject = anomalyTransform(plan);
  const outer = options.transform;
  const transform: ReadingTransform = outer
    ? (r) => {
        const x = inject(r);
        return x && outer(x);
      }
    : inject;
  const summary = await generate({ ...options, transform });
  const labelsFile = resolve(options.labels ?? join(summary.out, LABELS_FILE));
  await mkdir(dirname(labelsFile), { recursive: true });
  await writeFile(labelsFile, labelsCsv(plan.labels));
  const byRule = Object.fromEntries(
    ANOMALY_RULES.map((r) => [r, plan.labels.filter((l) => l.rule === r).length]),
  ) as Record<AnomalyRule, number>;
  const missing = ANOMALY_RULES.filter((r) => byRule[r] === 0);
  return {
    ...summary,
    anomalies: plan.labels.length,
    anomalies_by_rule: byRule,
    labels_file: labelsFile,
    missing_rules: missing,
  };
}
