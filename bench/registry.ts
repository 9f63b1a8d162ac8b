/** Every benchmark `npm run bench` knows; later parts of the pipeline add theirs here. */
import { anomalyBenchmark } from './benchmarks/anomaly.ts';
import { apiBenchmark } from './benchmarks/api/index.ts';
import { consoleBenchmark } from './benchmarks/console.ts';
import { e2eBenchmark } from './benchmarks/e2e.ts';
import { lakeBenchmark } from './benchmarks/lake.ts';
import { lakeOpsBenchmark } from './benchmarks/lake-ops/index.ts';
import { replayBenchmark } from './benchmarks/replay.ts';
import { sourcesBenchmark } from './benchmarks/sources.ts';
import { splitterBenchmark } from './benchmarks/splitter.ts';
import { statusBenchmark } from './benchmarks/status.ts';
import type { Benchmark } from './types.ts';

export const BENCHMARKS: readonly Benchmark[] = [
  e2eBenchmark,
  lakeBenchmark,
  splitterBenchmark,
  sourcesBenchmark,
  anomalyBenchmark,
  replayBenchmark,
  statusBenchmark,
  lakeOpsBenchmark,
  consoleBenchmark,
  apiBenchmark,
];
