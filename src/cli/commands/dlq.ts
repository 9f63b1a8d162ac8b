import type { Command } from 'commander';
import type { S3Event } from 'aws-lambda';
import { createSplitterHandler } from '../../producers/splitter/handler.ts';
import { readSettings } from '../../shared/settings.ts';
import { encodeS3EventKey } from '../../shared/s3-keys.ts';
import { LocalDlq, type DlqEntry, type KinesisFailure, type S3Failure } from '../../local/dlq.ts';
import { dataPaths, resolveDataDir } from '../../local/data-dir.ts';
import { PIPELINE_SERVICES } from '../../local/pipeline.ts';
import { redriveKinesisEntry, RedriveError, type RedriveResult } from '../../local/esm/redrive.ts';
import { localConsumerNamed } from '../../local/esm/service.ts';
import { stderrLog } from '../../local/service.ts';
import { action } from '../command.ts';
import { parseTarget, withContext, type CommandContext, type GlobalOptions } from '../context.ts';
import { progress, table, UsageError } from '../output.ts';

interface ListFlags {
  source?: string;
}

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description("list the embedded stack's on-failure destination: stream batches a consumer gave up on, raw files the splitter could not finish")
    .option('--source <name>', 'only entries of this consumer or producer (state, anomaly, splitter, …)')
    .action(
      action<ListFlags>(async (_args, opts) => {
        const entries = await new LocalDlq(dlqRoot(opts)).list(opts.source);
        const json = { count: entries.length, entries };
        if (entries.length === 0) return { json, human: 'the DLQ is empty' };
        const rows = entries.map((e) => [e.id, e.source, e.created_at, e.condition, e.attempts, what(e), e.error]);
        return { json, human: `${table(['id', 'source', 'failed at', 'condition', 'attempts', 'what', 'error'], rows)}\nredrive with \`dubegrid dlq redrive [ID]\` once the cause is fixed` };
      }),
    );

  dlq
    .command('redrive')
    .description('hand DLQ entries back to their owner (all, or the one named): stream records are read again from the stream and given to the consumer; an entry is removed only when all of it was processed')
    .argument('[id]', 'the entry to redrive (see `dubegrid dlq`); all entries when omitted')
    .action(
      action(async ([id], opts) => {
        const queue = new LocalDlq(dlqRoot(opts));
        const entries = id ? [await queue.get(id)].filter((e): e is DlqEntry => e !== undefined) : await queue.list();
        if (id && entries.length === 0) throw new UsageError(`no DLQ entry ${id} (list them with \`dubegrid dlq\`)`);
        if (entries.length === 0) return { json: { redriven: [], failed: [] }, human: 'the DLQ is empty: nothing to redrive' };
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
            ...redriven.map((r) => `redriven ${r.id} (${r.source}): ${r.records} record(s)${r.missing ? `, ${r.missing} no longer in the stream (backfill them from raw/)` : ''}`),
            ...failed.map((f) => `NOT redriven ${f.id}: ${f.error}`),
          ];
          return { json: { redriven, failed }, human: lines.join('\n'), exitCode: failed.length > 0 ? 1 : 0 };
        });
      }),
    );
}

function dlqRoot(opts: GlobalOptions): string {
  if (parseTarget(opts.target) !== 'local') {
    throw new UsageError('on AWS the on-failure destinations are the SQS queues of the deployed stack; `dlq` reads the embedded stack’s');
  }
  return dataPaths(resolveDataDir(opts.dataDir)).dlq;
}

async function redrive(ctx: CommandContext, queue: LocalDlq, entry: DlqEntry): Promise<RedriveResult> {
  const payload = entry.payload;
  if (payload.kind === 's3') return redriveSplit(ctx, queue, entry, payload);
  const consumer = localConsumerNamed(PIPELINE_SERVICES, entry.source);
  if (!consumer) throw new UsageError(`${entry.id} belongs to ${entry.source}, which is not a consumer of this pipeline`);
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

/** A raw object the splitter gave up on: its handler is invoked again with the notification S3 would send. */
async function redriveSplit(ctx: CommandContext, queue: LocalDlq, entry: DlqEntry, payload: S3Failure): Promise<RedriveResult> {
  const split = createSplitterHandler({
    s3: ctx.clients.s3,
    kinesis: ctx.clients.kinesis,
    stream: ctx.clients.names.stream,
    sourceTimeZone: readSettings().sourceTimeZone,
    log: { info: progress, warn: progress },
  });
  try {
    await split(objectCreated(payload, ctx.clients.region, encodeS3EventKey));
  } catch (err) {
    throw new RedriveError(`redrive of ${entry.id} failed: ${(err as Error).message}; the entry is kept`, entry.id, 0, { cause: err });
  }
  await queue.remove(entry);
  return { id: entry.id, source: entry.source, records: 1, missing: 0, invocations: 1 };
}

function objectCreated(p: S3Failure, region: string, encodeKey: (key: string) => string): S3Event {
  const record = {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'dubegrid-dlq-redrive' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'redrive', 'x-amz-id-2': 'redrive' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'dlq-redrive',
      bucket: { name: p.bucket, ownerIdentity: { principalId: 'dubegrid' }, arn: `arn:aws:s3:::${p.bucket}` },
      object: { key: encodeKey(p.key), size: 0, eTag: p.etag ?? '', sequencer: '0' },
    },
  };
  return { Records: [record] };
}

function what(e: DlqEntry): string {
  const p = e.payload;
  return p.kind === 'kinesis' ? `${p.shard_id} ${p.start_sequence_number}…${p.end_sequence_number.slice(-8)} (${p.records} record(s))` : `s3://${p.bucket}/${p.key}`;
}
