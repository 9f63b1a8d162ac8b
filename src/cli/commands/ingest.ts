import { storedMappingSet } from '../../producers/splitter/mapping/stored.ts';
import { MappingStore } from '../../shared/sources/store.ts';
import { LocalDlq } from '../../local/dlq.ts';
import { dataPaths } from '../../local/data-dir.ts';
import { SPLITTER_SERVICE, type LocalSplitter } from '../../local/services/splitter.ts';
import { readSettings } from '../../shared/settings.ts';
import { IngestInputError, expandInputs } from '../../producers/ingest/inputs.ts';
import { checkPrefix, ingest, type IngestResult } from '../../producers/ingest/ingest.ts';
import { formatBytes } from '../../shared/bytes.ts';
import type { SplitFailure } from '../../producers/ingest/wait.ts';
import { catchUpProjections, describeCatchUp, shardTargetsOf } from '../../ops/replay/catch-up.ts';
import { listAssets, waitForAssetsLoaded } from '../../consumers/registry/record.ts';
import type { Action } from '../command.ts';
import { DEFAULT_TIMEOUT_S } from '../register/defaults.ts';
import { withContext, type CommandContext } from '../context.ts';
import { meter, progress, table, UsageError } from '../output.ts';
import { dlqName } from '../../shared/resources.ts';

interface IngestCommandOptions {
  prefix?: string;
  source?: string;
  wait?: boolean;
  timeout?: string;
}

export const runIngest: Action<IngestCommandOptions> = async (paths, opts) => {
  const timeoutS = Number(opts.timeout ?? DEFAULT_TIMEOUT_S);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0)
    throw new UsageError(`--timeout must be a positive number of seconds, got ${opts.timeout}`);
  const inputs = await (async () => {
    checkPrefix(opts.prefix);
    return expandInputs(paths);
  })().catch((err: unknown) => {
    throw err instanceof IngestInputError ? new UsageError(err.message) : err;
  });
  return withContext(opts, 'pipeline', async (ctx) => {
    // A stack started for this command stops when it returns: its splitter must finish first.
    const wait = opts.wait === true || ctx.ownStack !== undefined;
    // the splitter's own choice of mapping (built-in and stored) decides each file's month
    const sourceTimeZone = readSettings().sourceTimeZone;
    const mappings = await storedMappingSet(
      new MappingStore(ctx.clients.s3, ctx.clients.names.bucket),
      sourceTimeZone,
      progress,
    )();
    if (opts.source !== undefined && mappings.get(opts.source) === undefined)
      throw new UsageError(
        `--source ${opts.source}: no mapping has that name (known: ${mappings.mappings.map((m) => m.name).join(', ')}; \`dubegrid sources add FILE\` stores one)`,
      );
    const result = await ingest(ctx.clients.s3, ctx.clients.names.bucket, inputs, {
      prefix: opts.prefix,
      source: opts.source,
      wait,
      timeoutMs: timeoutS * 1000,
      sourceTimeZone,
      mappings,
      failures: ctx.target === 'local' ? () => splitterFailures(ctx.dataDir) : undefined,
      // on AWS a file the splitter gave up on is a message on its SQS DLQ, which this command does not read
      failuresHint:
        ctx.target === 'aws'
          ? `a file the splitter gave up on is on the SQS queue ${dlqName(SPLITTER_SERVICE)} (aws sqs receive-message --queue-url <its URL> --visibility-timeout 0)`
          : undefined,
      registryLoaded: (key, since) =>
        waitForAssetsLoaded(
          () => listAssets(ctx.clients.doc, ctx.clients.names.tables.assets),
          key,
          since,
          timeoutS * 1000,
        ),
      progress,
      meter,
    }).catch((err: unknown) => {
      throw err instanceof IngestInputError ? new UsageError(err.message) : err;
    });
    await ctx.ownStack?.service<LocalSplitter>(SPLITTER_SERVICE)?.waitIdle();
    // --wait also means every projection has caught up with what the splitter wrote, the lake flushed (issue 7)
    const caughtUp = result.manifests
      ? await catchUpProjections(ctx, shardTargetsOf(result.manifests), {
          timeoutMs: timeoutS * 1000,
          progress,
          meter,
          readings: result.totals?.events_emitted,
        })
      : undefined;
    return {
      json: { ...(jsonOf(result) as object), ...(caughtUp ? { caught_up: caughtUp } : {}) },
      human: `${humanOf(result, ctx)}${caughtUp ? `\n${describeCatchUp(caughtUp)}` : ''}`,
    };
  });
};

async function splitterFailures(dataDir: string): Promise<SplitFailure[]> {
  const entries = await new LocalDlq(dataPaths(dataDir).dlq).list(SPLITTER_SERVICE);
  return entries.flatMap((e) =>
    e.payload.kind === 's3' ? [{ key: e.payload.key, etag: e.payload.etag, error: e.error }] : [],
  );
}

function jsonOf(r: IngestResult): unknown {
  return {
    bucket: r.bucket,
    uploads: r.uploads,
    waited: r.totals !== undefined || r.registryLoaded !== undefined,
    ...(r.totals ?? {}),
    ...(r.manifests ? { manifests: r.manifests } : {}),
    ...(r.registryLoaded ? { registry_loaded: r.registryLoaded } : {}),
    ...(r.skipped ? { skipped: r.skipped } : {}),
  };
}

function humanOf(r: IngestResult, ctx: CommandContext): string {
  const lines = [`uploaded ${r.uploads.length} file(s) to s3://${r.bucket}/`];
  lines.push(...(r.skipped ?? []).map((f) => `  skipped ${f.file}: ${f.why}`));
  lines.push(
    ...(r.registryLoaded ?? []).map((k) => `  ${k}  loaded into the asset registry (\`dubegrid assets\` lists it)`),
  );
  if (r.registryLoaded && !r.manifests) return lines.join('\n');
  if (!r.totals || !r.manifests) {
    lines.push(...r.uploads.map((u) => `  ${u.key}  ${formatBytes(u.bytes)}`));
    if (ctx.attached)
      lines.push('the running stack splits them; `dubegrid status` shows its progress (or run ingest with --wait)');
    return lines.join('\n');
  }
  const rows = r.manifests.map((m) => [
    m.source.key,
    m.format,
    m.rows_read,
    m.rows_accepted,
    m.rows_quarantined,
    m.events_emitted,
    m.kinesis.records,
    m.stopped_early ? `stopped: ${m.stopped_early.reason}` : '',
  ]);
  const t = r.totals;
  rows.push(['total', '', t.rows_read, t.rows_accepted, t.rows_quarantined, t.events_emitted, t.kinesis_records, '']);
  lines.push('', table(['file', 'format', 'rows', 'accepted', 'quarantined', 'events', 'records', ''], rows));
  const reasons = Object.entries(t.quarantine_reasons);
  if (reasons.length > 0)
    lines.push(
      '',
      `quarantined by reason: ${reasons.map(([k, v]) => `${k}=${v}`).join(' ')} (entries under quarantine/)`,
    );
  lines.push(
    '',
    `Kinesis: ${t.kinesis_records} records, ${t.put_payload_units} PUT payload units, ${formatBytes(t.billed_bytes_on_demand)} billed on demand`,
  );
  return lines.join('\n');
}
