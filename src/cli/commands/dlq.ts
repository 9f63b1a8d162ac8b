import { LocalDlq, type DlqEntry, type KinesisFailure, type S3Failure } from '../../local/dlq.ts';
import { dataPaths, resolveDataDir } from '../../local/data-dir.ts';
import { PIPELINE_SERVICES } from '../../local/pipeline.ts';
import { redriveKinesisEntry, RedriveError, type RedriveResult } from '../../local/esm/redrive.ts';
import { localConsumerNamed } from '../../local/esm/service.ts';
import type { S3Handler } from '../../local/invoker/invoker.ts';
import { redriveS3Entry, S3RedriveError } from '../../local/invoker/redrive.ts';
import { localRegistryHandler, REGISTRY_SERVICE } from '../../local/services/registry.ts';
import { localSplitterHandler, SPLITTER_SERVICE } from '../../local/services/splitter.ts';
import { stderrLog } from '../../local/service.ts';
import type { Action } from '../command.ts';
import { parseTarget, withContext, type CommandContext, type GlobalOptions } from '../context.ts';
import { progress, table, UsageError } from '../output.ts';

interface ListFlags {
  source?: string;
}

export const runDlq: Action<ListFlags> = async (_args, opts) => {
  const entries = await new LocalDlq(dlqRoot(opts)).list(opts.source);
  const json = { count: entries.length, entries };
  if (entries.length === 0) return { json, human: 'the DLQ is empty' };
  const rows = entries.map((e) => [e.id, e.source, e.created_at, e.condition, e.attempts, what(e), e.error]);
  return {
    json,
    human: `${table(['id', 'source', 'failed at', 'condition', 'attempts', 'what', 'error'], rows)}\nredrive with \`dubegrid dlq redrive [ID]\` once the cause is fixed`,
  };
};

export const runRedrive: Action<object> = async ([id], opts) => {
  const queue = new LocalDlq(dlqRoot(opts));
  const entries = id ? [await queue.get(id)].filter((e): e is DlqEntry => e !== undefined) : await queue.list();
  if (id && entries.length === 0) throw new UsageError(`no DLQ entry ${id} (list them with \`dubegrid dlq\`)`);
  if (entries.length === 0)
    return { json: { redriven: [], failed: [] }, human: 'the DLQ is empty: nothing to redrive' };
  return withContext(opts, 'stack', async (ctx) => {
    const redriven: RedriveResult[] = [];
    const failed: { id: string; error: string }[] = [];
    for (const entry of entries) {
      progress(`redriving ${entry.id} (${entry.source}, ${what(entry)})…`);
      try {
        redriven.push(await redrive(ctx, queue, entry));
      } catch (err) {
        if (!(err instanceof RedriveError || err instanceof UsageError)) throw err;
        failed.push({ id: entry.id, error: err.message });
      }
    }
    const lines = [
      ...redriven.map(
        (r) =>
          `redriven ${r.id} (${r.source}): ${r.records} record(s)${r.missing ? `, ${r.missing} no longer in the stream (backfill them from raw/)` : ''}`,
      ),
      ...failed.map((f) => `NOT redriven ${f.id}: ${f.error}`),
    ];
    return { json: { redriven, failed }, human: lines.join('\n'), exitCode: failed.length > 0 ? 1 : 0 };
  });
};

function dlqRoot(opts: GlobalOptions): string {
  if (parseTarget(opts.target) !== 'local') {
    throw new UsageError(
      'on AWS the on-failure destinations are the SQS queues of the deployed stack; `dlq` reads the embedded stack’s',
    );
  }
  return dataPaths(resolveDataDir(opts.dataDir)).dlq;
}

async function redrive(ctx: CommandContext, queue: LocalDlq, entry: DlqEntry): Promise<RedriveResult> {
  const payload = entry.payload;
  if (payload.kind === 's3') return redriveS3(ctx, queue, { ...entry, payload });
  const consumer = localConsumerNamed(PIPELINE_SERVICES, entry.source);
  if (!consumer)
    throw new UsageError(`${entry.id} belongs to ${entry.source}, which is not a consumer of this pipeline`);
  const handler = consumer.createHandler({ clients: ctx.clients, env: process.env, log: stderrLog });
  return redriveKinesisEntry({
    kinesis: ctx.clients.kinesis,
    region: ctx.clients.region,
    entry: entry as DlqEntry & { payload: KinesisFailure },
    settings: consumer.settings,
    fn: consumer.fn,
    handler,
    dlq: queue,
  });
}

/**
 * An object an S3-invoked function (splitter, registry) gave up on: its handler is
 * invoked again with the notification S3 would send.
 */
async function redriveS3(
  ctx: CommandContext,
  queue: LocalDlq,
  entry: DlqEntry & { payload: S3Failure },
): Promise<RedriveResult> {
  const handler = s3InvokedHandler(ctx, entry);
  try {
    await redriveS3Entry(entry, handler, queue, ctx.clients.region);
  } catch (err) {
    if (err instanceof S3RedriveError) throw new RedriveError(err.message, entry.id, 0, { cause: err });
    throw err;
  }
  return { id: entry.id, source: entry.source, records: 1, missing: 0, invocations: 1 };
}

function s3InvokedHandler(ctx: CommandContext, entry: DlqEntry): S3Handler<unknown> {
  const log = { info: progress, warn: progress, error: progress };
  if (entry.source === SPLITTER_SERVICE) return localSplitterHandler(ctx, log);
  if (entry.source === REGISTRY_SERVICE) return localRegistryHandler({ clients: ctx.clients, log });
  throw new UsageError(
    `${entry.id} belongs to ${entry.source}, which is not invoked by S3 notifications in this pipeline`,
  );
}

function what(e: DlqEntry): string {
  const p = e.payload;
  return p.kind === 'kinesis'
    ? `${p.shard_id} ${p.start_sequence_number}…${p.end_sequence_number.slice(-8)} (${p.records} record(s))`
    : `s3://${p.bucket}/${p.key}`;
}
