/** Every benchmark `npm run bench` knows; later parts of the pipeline add theirs here. */
import type { Benchmark } from './types.ts';

export const BENCHMARKS: readonly Benchmark[] = [];
