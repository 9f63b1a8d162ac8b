/** Every benchmark `npm run bench` knows; later parts of the pipeline add theirs here. */
import { anomalyBenchmark } from './benchmarks/anomaly.ts';
import { e2eBenchmark } from './benchmarks/e2e.ts';
import { lakeBenchmark } from './benchmarks/lake.ts';
import { replayBenchmark } from './benchmarks/replay.ts';
import { splitterBenchmark } from './benchmarks/splitter.ts';
import type { Benchmark } from './types.ts';

export const BENCHMARKS: readonly Benchmark[] = [
  e2eBenchmark,
  lakeBenchmark,
  splitterBenchmark,
  anomalyBenchmark,
  replayBenchmark,
];
