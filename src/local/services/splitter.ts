/**
 * The embedded S3 → splitter wiring (service `splitter`): what an S3 event notification
 * with an asynchronous Lambda invocation does on AWS. Every ObjectCreated notification
 * for `raw/**.csv[.gz]` invokes the same handler the Lambda runs (built by its factory
 * with the local clients); a failed invocation is retried ASYNC_INVOCATION.retryAttempts
 * times, then the file is listed on the local DLQ (`dubegrid dlq`).
 *
 * S3 notifications of the emulator live in memory only, so on start the service also
 * splits any raw object that has no manifest yet (or a manifest older than the object)
 * and is not on the DLQ: an upload made while nothing was running is not lost.
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { ASYNC_INVOCATION, ENV } from '../../shared/functions.ts';
import { manifestKeyOf, normaliseEtag } from '../../shared/manifest.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { createSplitterHandler, type SplitterHandler } from '../../producers/splitter/handler.ts';
import { decodeS3EventKey, encodeS3EventKey, isSplittableKey } from '../../shared/s3-keys.ts';
import { SPLITTER_STAGE } from '../../producers/splitter/core.ts';
import { LocalDlq } from '../dlq.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';

export const SPLITTER_SERVICE = SPLITTER_STAGE;

export interface LocalSplitterOptions {
  /**
   * Wait before each retry of a failed invocation (Lambda waits about 1 and 2 minutes;
   * locally seconds do). Its length is the number of retries. @default [1000, 2000]
   */
  readonly retryDelaysMs?: readonly number[];
  /** Files split at the same time. @default 2 */
  readonly concurrency?: number;
  /** Split raw objects that have no manifest on start. @default true */
  readonly reconcile?: boolean;
  /** Builds the handler; the default is the Lambda's, with the stack's clients. */
  readonly handler?: (ctx: ServiceContext) => SplitterHandler;
}

const DEFAULT_RETRY_DELAYS_MS = Array.from({ length: ASYNC_INVOCATION.retryAttempts }, (_, i) => 1_000 * 2 ** i);

export function createSplitterService(options: LocalSplitterOptions = {}): ServiceFactory {
  return (ctx) => new LocalSplitter(ctx, options);
}

/** The pipeline's splitter service, as `PIPELINE_SERVICES` lists it. */
export const splitterServiceFactory: ServiceFactory = createSplitterService();

function defaultHandler(ctx: ServiceContext): SplitterHandler {
  return createSplitterHandler({
    s3: ctx.clients.s3,
    kinesis: ctx.clients.kinesis,
    stream: ctx.clients.names.stream,
    sourceTimeZone: process.env[ENV.sourceTimeZone]?.trim() || undefined,
    log: { info: (m) => ctx.log.info(m), warn: (m) => ctx.log.warn(m) },
  });
}

export class LocalSplitter implements Service {
  readonly name = SPLITTER_SERVICE;
  private readonly queue: S3Event[] = [];
  private readonly running = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private reconciling: Promise<void> | undefined;
  private stopped = false;
  private handler: SplitterHandler | undefined;
  private readonly dlq: LocalDlq;
  private readonly retryDelaysMs: readonly number[];
  private readonly concurrency: number;
  private figures = { files_done: 0, files_failed: 0, files_ignored: 0, invocations: 0, retries: 0, events_emitted: 0, rows_read: 0 };
  private lastError: string | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: LocalSplitterOptions,
  ) {
    this.dlq = new LocalDlq(ctx.paths.dlq);
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
  }

  async start(): Promise<void> {
    this.handler = (this.options.handler ?? defaultHandler)(this.ctx);
    this.ctx.onS3Event((event) => this.notified(event));
    if (this.options.reconcile ?? true) {
      this.reconciling = this.reconcile()
        .catch((err: Error) => this.ctx.log.warn(`splitter: could not look for unsplit raw objects: ${err.message}`))
        .finally(() => {
          this.reconciling = undefined;
          this.checkIdle();
        });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0; // split on the next start (reconcile): their objects have no manifest
    await this.reconciling;
    await Promise.all([...this.running]);
  }

  async status(): Promise<Record<string, unknown>> {
    return { ...this.figures, in_flight: this.running.size, queued: this.queue.length, ...(this.lastError ? { last_error: this.lastError } : {}) };
  }

  /** Resolves when nothing is queued, being split or waiting for a retry. */
  waitIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.running.size === 0 && this.reconciling === undefined;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** One invocation per record, as S3 sends them; only what the notification filter on AWS lets through. */
  private notified(event: S3Event): void {
    if (this.stopped) return;
    for (const record of event.Records ?? []) {
      if (!record.eventName?.startsWith('ObjectCreated')) continue;
      if (!isSplittableKey(decodeS3EventKey(record.s3.object.key))) continue;
      this.enqueue({ Records: [record] });
    }
  }

  private enqueue(event: S3Event): void {
    this.queue.push(event);
    this.next();
  }

  private next(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.queue.length > 0) {
      const event = this.queue.shift() as S3Event;
      const run = this.invoke(event).finally(() => {
        this.running.delete(run);
        this.next();
        this.checkIdle();
      });
      this.running.add(run);
    }
  }

  /** Invokes the handler, retrying like an asynchronous invocation, then lists the file on the DLQ. */
  private async invoke(event: S3Event): Promise<void> {
    const handler = this.handler as SplitterHandler;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= this.retryDelaysMs.length; attempt++) {
      if (attempt > 0) {
        this.figures.retries++;
        await new Promise((resolve) => setTimeout(resolve, this.retryDelaysMs[attempt - 1]));
      }
      this.figures.invocations++;
      try {
        const results = await handler(event);
        for (const r of results) {
          if (r.outcome.status === 'split') {
            this.figures.files_done++;
            this.figures.events_emitted += r.outcome.manifest.events_emitted;
            this.figures.rows_read += r.outcome.manifest.rows_read;
          } else {
            this.figures.files_ignored++;
          }
        }
        return;
      } catch (err) {
        lastError = err as Error;
        this.ctx.log.warn(`splitter: invocation ${attempt + 1} of ${this.retryDelaysMs.length + 1} failed: ${lastError.message}`);
      }
    }
    await this.toDlq(event, lastError as Error, this.retryDelaysMs.length + 1);
  }

  private async toDlq(event: S3Event, error: Error, attempts: number): Promise<void> {
    const message = (error.message.split('\n')[0] ?? 'unknown error').slice(0, 1000);
    this.lastError = message;
    for (const record of event.Records) {
      this.figures.files_failed++;
      await this.dlq.put({
        source: SPLITTER_SERVICE,
        error: message,
        condition: 'retries_exhausted',
        attempts,
        payload: { kind: 's3', bucket: record.s3.bucket.name, key: decodeS3EventKey(record.s3.object.key), etag: normaliseEtag(record.s3.object.eTag) || undefined },
      });
    }
    this.ctx.log.error(`splitter: gave up after ${attempts} attempts; listed on the DLQ: ${message}`);
  }

  /** Raw objects with no manifest (or an older one) that are not on the DLQ. */
  private async reconcile(): Promise<void> {
    const s3 = this.ctx.clients.s3;
    const bucket = this.ctx.clients.names.bucket;
    const manifests = new Map<string, number>();
    for (const o of await listAll(s3, bucket, `${PREFIXES.manifests}${PREFIXES.raw}`)) manifests.set(o.key, o.lastModified);
    const failed = new Set((await this.dlq.list(SPLITTER_SERVICE)).flatMap((e) => (e.payload.kind === 's3' ? [`${e.payload.key}\u0000${e.payload.etag ?? ''}`] : [])));
    let found = 0;
    for (const o of await listAll(s3, bucket, PREFIXES.raw)) {
      if (!isSplittableKey(o.key) || this.stopped) continue;
      const manifestAt = manifests.get(manifestKeyOf(o.key));
      if (manifestAt !== undefined && manifestAt >= o.lastModified) continue;
      if (failed.has(`${o.key}\u0000${o.etag}`)) continue;
      found++;
      this.enqueue({ Records: [syntheticRecord(bucket, o.key, o.etag, o.size)] });
    }
    if (found > 0) this.ctx.log.info(`splitter: ${found} raw object(s) had no manifest; splitting them now`);
  }
}

interface Listed {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: number;
}

async function listAll(s3: S3Client, bucket: string, prefix: string): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) {
      if (o.Key) out.push({ key: o.Key, etag: normaliseEtag(o.ETag), size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
    }
  }
  return out;
}

/** The notification S3 would have sent for an existing object. */
function syntheticRecord(bucket: string, key: string, etag: string, size: number): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: '',
    eventTime: new Date().toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'dubegrid-reconcile' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'reconcile', 'x-amz-id-2': 'reconcile' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'reconcile',
      bucket: { name: bucket, ownerIdentity: { principalId: 'dubegrid' }, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodeS3EventKey(key), size, eTag: etag, sequencer: '0' },
    },
  };
}
