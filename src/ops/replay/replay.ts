/**
 * `dubegrid replay`: the stream is read again over a time range and the chosen
 * projections are driven with it (`projections.ts`), shards in parallel, each shard's
 * pages in order. Every projection is idempotent by construction, so a replay of any
 * range, any number of times, leaves their values as they were — that is what verify
 * and the tests check; a replay is how a projection is rebuilt or a gap is filled.
 *
 * Each page is handed to every chosen projection at once and the shard's next page is
 * read when all have taken it; readings are counted once per page (KPL de-aggregation)
 * for the summary.
 */
import type { ProgressMeter } from '../../shared/progress.ts';
import { deaggregate } from '../../shared/kpl.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import type { OpsEnvironment, ProjectionName } from './environment.ts';
import {
  openProjection,
  type ProjectionFigures,
  type ProjectionOptions,
  type ReplayFailure,
  type ReplayProjection,
} from './projections.ts';
import { readStreamRange, type ShardRead, type StreamRange } from './stream-range.ts';

export interface ReplayOptions extends ProjectionOptions {
  readonly range: StreamRange;
  readonly projections: readonly ProjectionName[];
  /** Called with a one-line account of progress, at most every `progressEveryMs`. */
  readonly progress?: (line: string) => void;
  /** @default 2000 */
  readonly progressEveryMs?: number;
  /** Readings read and, per projection, applied (the range's total is not known before it is read). */
  readonly meter?: ProgressMeter | undefined;
}

export interface ReplaySummary {
  readonly from: string;
  readonly to: string;
  readonly projections: readonly ProjectionName[];
  readonly records: number;
  readonly readings: number;
  readonly elapsed_ms: number;
  readonly readings_per_s: number;
  readonly shards: readonly ShardRead[];
  readonly by_projection: Readonly<Partial<Record<ProjectionName, ProjectionFigures>>>;
  /** Records a projection could not apply after its retries (empty when all were). */
  readonly failures: readonly ReplayFailure[];
}

/** Records per GetRecords call: a consumer's batch, so one page is about one invocation. */
const PAGE_RECORDS = Math.max(...Object.values(CONSUMERS).map((c) => c.batchSize));

export async function replay(envt: OpsEnvironment, options: ReplayOptions): Promise<ReplaySummary> {
  const began = performance.now();
  const projections: ReplayProjection[] = [];
  try {
    for (const name of options.projections) projections.push(await openProjection(name, envt, options));
    let records = 0;
    let readings = 0;
    let lastReport = began;
    const report = (): void => {
      const s = (performance.now() - began) / 1000;
      const per = projections.map((p) => `${p.name} ${p.figures.readings.toLocaleString('en-GB')}`).join(', ');
      options.progress?.(
        `replay: ${records.toLocaleString('en-GB')} records, ${readings.toLocaleString('en-GB')} readings read (${rate(readings, s)} readings/s); applied: ${per}`,
      );
    };
    const shards = await readStreamRange({
      kinesis: envt.clients.kinesis,
      stream: envt.clients.names.stream,
      range: options.range,
      pageRecords: PAGE_RECORDS,
      // kinesalite cannot serve AT_TIMESTAMP iterators reliably; Kinesis can, and a short range then reads only itself
      atTimestamp: envt.clients.target === 'aws' ? 'native' : 'scan',
      onPage: async (shardId, page) => {
        const counts = page.map(readingsIn);
        await Promise.all(projections.map((p) => p.apply({ shardId, records: page, readings: counts })));
        records += page.length;
        readings += counts.reduce((a, b) => a + b, 0);
        if (options.meter) {
          options.meter({ task: 'read', done: readings, unit: 'readings' });
          for (const p of projections)
            options.meter({ task: p.name, done: p.figures.readings, unit: 'readings applied' });
        } else if (performance.now() - lastReport >= (options.progressEveryMs ?? 2_000)) {
          lastReport = performance.now();
          report();
        }
      },
    });
    for (const p of projections) await p.finish();
    const elapsedMs = Math.round(performance.now() - began);
    return {
      from: options.range.from.toISOString(),
      to: options.range.to.toISOString(),
      projections: options.projections,
      records,
      readings,
      elapsed_ms: elapsedMs,
      readings_per_s: rate(readings, elapsedMs / 1000),
      shards,
      by_projection: Object.fromEntries(projections.map((p) => [p.name, p.figures])),
      failures: projections.flatMap((p) => p.failures),
    };
  } finally {
    for (const p of projections) await p.close();
  }
}

/** User records in one Kinesis record; one that cannot be de-aggregated holds no reading (the projections quarantine it). */
function readingsIn(record: { data: Uint8Array; partitionKey: string; sequenceNumber: string }): number {
  try {
    return deaggregate({
      data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength),
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
    }).length;
  } catch {
    return 0;
  }
}

function rate(n: number, seconds: number): number {
  return seconds > 0 ? Math.round(n / seconds) : n;
}
