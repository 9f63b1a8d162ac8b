/**
 * "Has every projection caught up with what was just written?" — what `ingest --wait`
 * and `backfill` wait for: each live consumer's checkpoint at or past the highest
 * sequence number the splitter put on each shard (the manifests list them), then a
 * flush of the running stack, which reads the lake's shards to their end and writes
 * every buffer (a barrier), publishes the outbox and lets the topic deliver.
 *
 * Only the embedded target can be watched this way (checkpoints are files in the data
 * dir); on AWS the deployed mappings are not observed here.
 */
import { dataPaths } from '../../local/data-dir.ts';
import { compareSequenceNumbers } from '../../shared/kinesis/shard-reader.ts';
import { waitForConsumers, type ShardSequenceTargets } from '../../shared/kinesis/wait.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import type { Clients } from '../../shared/clients.ts';
import type { Manifest } from '../../shared/manifest.ts';
import type { ProgressMeter } from '../../shared/progress.ts';
import { catchUpMeter } from './catch-up-meter.ts';
import { LIVE_READER } from './environment.ts';

export interface CatchUpContext {
  readonly target: 'local' | 'aws';
  readonly dataDir: string;
  servicesStatus(): Promise<Record<string, Record<string, unknown>>>;
  flush(): Promise<void>;
  /** To count "readings applied of N" from the stream; without it the meter counts shards. */
  readonly clients?: Pick<Clients, 'kinesis' | 'names'>;
}

export interface CatchUpOptions {
  readonly timeoutMs: number;
  readonly progress?: ((line: string) => void) | undefined;
  /** Per consumer, readings applied of `readings` (or shards caught up). */
  readonly meter?: ProgressMeter | undefined;
  /** The readings the targets stand for (the manifests' `events_emitted`). */
  readonly readings?: number | undefined;
}

export interface CatchUp {
  /** False when nothing could be watched (AWS, or no consumer running); `note` says why. */
  readonly waited: boolean;
  readonly consumers: readonly string[];
  readonly lake_flushed: boolean;
  readonly waited_ms: number;
  readonly note?: string;
}

/** Per shard, the highest sequence number any of the manifests' objects was written at. */
export function shardTargetsOf(manifests: readonly Pick<Manifest, 'kinesis'>[]): ShardSequenceTargets {
  const out: Record<string, string> = {};
  for (const m of manifests) {
    for (const [shard, seq] of Object.entries(m.kinesis.shards)) {
      const held = out[shard];
      if (held === undefined || compareSequenceNumbers(seq, held) > 0) out[shard] = seq;
    }
  }
  return out;
}

export async function catchUpProjections(
  ctx: CatchUpContext,
  targets: ShardSequenceTargets,
  options: CatchUpOptions,
): Promise<CatchUp> {
  const began = Date.now();
  if (ctx.target === 'aws') {
    return {
      waited: false,
      consumers: [],
      lake_flushed: false,
      waited_ms: 0,
      note: 'on AWS the deployed consumers and Firehose apply the records on their own; their iterator age shows when',
    };
  }
  const running = Object.keys(await ctx.servicesStatus());
  const consumers = Object.values(CONSUMERS)
    .map((c) => c.name)
    .filter((name) => running.includes(name));
  const lake = running.includes(LIVE_READER.lake);
  if (consumers.length === 0 && !lake) {
    return {
      waited: false,
      consumers,
      lake_flushed: false,
      waited_ms: 0,
      note: 'no consumer runs on this data dir: they apply the records when the stack next runs (`dubegrid up`)',
    };
  }
  const meter = options.meter;
  const onProgress =
    meter && ctx.clients
      ? catchUpMeter(consumers, {
          kinesis: ctx.clients.kinesis,
          stream: ctx.clients.names.stream,
          targets,
          readings: options.readings ?? 0,
          meter,
          onError: (err) =>
            options.progress?.(`(cannot count the readings still to apply: ${err.message}; counting shards)`),
        })
      : undefined;
  if (consumers.length > 0) {
    options.progress?.(
      `waiting for ${consumers.join(', ')} to apply ${options.readings === undefined ? 'what was written' : `${options.readings.toLocaleString('en-GB')} reading(s)`}…`,
    );
    await waitForConsumers(dataPaths(ctx.dataDir), consumers, targets, {
      timeoutMs: options.timeoutMs,
      onProgress,
    });
  }
  // the lake's barrier, the anomaly outbox's sweep and the topic's deliveries
  await ctx.flush();
  return { waited: true, consumers, lake_flushed: lake, waited_ms: Date.now() - began };
}

/** One line for a person. */
export function describeCatchUp(c: CatchUp): string {
  if (!c.waited) return `projections not waited for: ${c.note ?? ''}`;
  const who = [...c.consumers, ...(c.lake_flushed ? ['the lake (flushed)'] : [])].join(', ');
  return `every projection has caught up (${who}) after ${(c.waited_ms / 1000).toFixed(1)} s`;
}
