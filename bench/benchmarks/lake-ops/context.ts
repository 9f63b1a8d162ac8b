/**
 * What every part of `npm run bench -- lake-ops` shares: one month of generated
 * substations written as Firehose writes them (built once per run, `dataset.ts`), the
 * run's flags and scratch dir. A part measures its figures side by side and returns
 * its results; parts are listed in `parts.ts`.
 */
import type { PartitionValues } from '../../../src/shared/glue.ts';
import type { BenchResult } from '../../types.ts';

export interface LakeOpsDataset {
  /** Root of a local copy of the bucket: objects under `<root>/processed/readings/y=/m=/d=/`. */
  readonly uncompactedRoot: string;
  readonly partitions: readonly PartitionValues[];
  readonly readings: number;
  readonly substations: number;
  readonly days: number;
  /** The month, for named queries. */
  readonly year: string;
  readonly month: string;
  readonly build_s: number;
}

export interface LakeOpsContext {
  readonly dir: string;
  readonly flags: Record<string, string | boolean | undefined>;
  readonly dataset: LakeOpsDataset;
}

export interface LakeOpsPart {
  readonly name: string;
  /** Flags this part reads, for --help. */
  readonly flags?: Record<string, string>;
  /** True when the part reads no lake month (the month is then not built for it alone). */
  readonly standalone?: boolean;
  run(ctx: LakeOpsContext): Promise<BenchResult[]>;
}

export function whole(flag: string | boolean | undefined, fallback: number): number {
  if (flag === undefined || typeof flag === 'boolean') return fallback;
  const n = Number(flag);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`expected a positive whole number, got ${flag}`);
  return n;
}
