/**
 * The embedded S3 → splitter wiring (service `splitter`): what an S3 event notification
 * with an asynchronous Lambda invocation does on AWS. Every ObjectCreated notification
 * for `raw/**` with a suffix of `RAW_SUFFIXES` (CSV, JSON, JSON Lines, each maybe `.gz`) invokes the same handler the Lambda runs (built by its factory
 * with the local clients) through the local S3 trigger (`../invoker/`): Lambda's
 * retries on the scaled clock, then the local DLQ (`dubegrid dlq`).
 *
 * S3 notifications of the emulator live in memory only, so on start the service also
 * splits any raw object that has no manifest yet (or a manifest older than the object)
 * and is not on the DLQ: an upload made while nothing was running is not lost.
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { readSettings } from '../../shared/settings.ts';
import { manifestKeyOf, normaliseEtag } from '../../shared/manifest.ts';
import { PREFIXES } from '../../shared/resources.ts';
import {
  createContinueHandler,
  createSplitterHandler,
  type ObjectResult,
  type SplitterDeps,
  type SplitterHandler,
} from '../../producers/splitter/handler.ts';
import {
  isContinueEvent,
  type Continuation,
  type ContinueEvent,
  type ContinueResult,
} from '../../producers/splitter/continuation.ts';
import { FUNCTIONS } from '../../shared/functions.ts';
import { decodeS3EventKey, isSplittableKey } from '../../shared/s3-keys.ts';
import { SPLITTER_STAGE } from '../../producers/splitter/core.ts';
import { bucketMappings } from '../../producers/splitter/mapping/stored.ts';
import { LocalDlq } from '../dlq.ts';
import { S3TriggerInvoker } from '../invoker/invoker.ts';
import { objectCreatedEvent } from '../invoker/s3-event.ts';
import type { AsyncSchedule } from '../invoker/schedule.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';

export const SPLITTER_SERVICE = SPLITTER_STAGE;

export interface LocalSplitterOptions {
  /** Retries and event age; the deployed settings on the local clock when absent (tests shorten them). */
  readonly schedule?: AsyncSchedule;
  /** Files split at the same time. @default 2 */
  readonly concurrency?: number;
  /** Split raw objects that have no manifest on start. @default true */
  readonly reconcile?: boolean;
  /** Builds the handler; the default is the Lambda's, with the stack's clients. */
  readonly handler?: (ctx: ServiceContext) => SplitterHandler;
  /**
   * Milliseconds each invocation may run, as the function's timeout on AWS: a split that
   * would run longer goes on in a fresh invocation from where it stopped (the local side
   * of the Step Functions loop). @default the deployed function's timeout
   */
  readonly budgetMs?: number;
}

/** What the local invoker carries: S3 notifications, and the later parts of long splits. */
type SplitterEvent = S3Event | ContinueEvent;
type SplitterResult = ObjectResult[] | ContinueResult;

/** The local budget when none is given: what the deployed function has. */
export const LOCAL_SPLITTER_BUDGET_MS = FUNCTIONS.splitter.timeoutSeconds * 1_000;

export function createSplitterService(options: LocalSplitterOptions = {}): ServiceFactory {
  return (ctx) => new LocalSplitter(ctx, options);
}

/** The pipeline's splitter service, as `PIPELINE_SERVICES` lists it. */
export const splitterServiceFactory: ServiceFactory = createSplitterService();

/** The Lambda's handler on the stack's clients: the service and `dlq redrive` build it alike. */
export function localSplitterHandler(
  ctx: Pick<ServiceContext, 'clients'>,
  log: { info(m: string): void; warn(m: string): void },
): SplitterHandler {
  return createSplitterHandler(localSplitterDeps(ctx, log));
}

/** The Lambda's dependencies on the stack's clients. */
function localSplitterDeps(
  ctx: Pick<ServiceContext, 'clients'>,
  log: { info(m: string): void; warn(m: string): void },
): SplitterDeps {
  const sourceTimeZone = readSettings().sourceTimeZone;
  return {
    s3: ctx.clients.s3,
    kinesis: ctx.clients.kinesis,
    stream: ctx.clients.names.stream,
    sourceTimeZone,
    mappings: bucketMappings(ctx.clients.s3, sourceTimeZone, (m) => log.warn(m)),
    log,
  };
}

export class LocalSplitter implements Service {
  readonly name = SPLITTER_SERVICE;
  private stopped = false;
  private reconciling: Promise<void> | undefined;
  private invoker: S3TriggerInvoker<SplitterResult, SplitterEvent> | undefined;
  private readonly dlq: LocalDlq;
  /** `files_continued`: splits that outlasted one invocation's budget and went on in more. */
  private figures = { files_done: 0, files_ignored: 0, events_emitted: 0, rows_read: 0, files_continued: 0 };

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: LocalSplitterOptions,
  ) {
    this.dlq = new LocalDlq(ctx.paths.dlq);
  }

  async start(): Promise<void> {
    const ctx = this.ctx;
    const deps = localSplitterDeps(ctx, { info: (m) => ctx.log.info(m), warn: (m) => ctx.log.warn(m) });
    // the hand-off queues the next part, as StartExecution does on AWS; the loop is `carryOn`
    const s3 = this.options.handler?.(ctx) ?? createSplitterHandler({ ...deps, handOff: (c) => this.handOff(c) });
    const continued = createContinueHandler(deps);
    const invoker = new S3TriggerInvoker<SplitterResult, SplitterEvent>({
      source: SPLITTER_SERVICE,
      handler: (event, context) => (isContinueEvent(event) ? continued(event, context) : s3(event, context)),
      objectsOf: (event) => (isContinueEvent(event) ? [event.continuation.source] : s3Objects(event)),
      budgetMs: this.options.budgetMs ?? LOCAL_SPLITTER_BUDGET_MS,
      destination: this.dlq,
      concurrency: Math.max(1, this.options.concurrency ?? 2),
      log: ctx.log,
      onSuccess: (_event, result) => (Array.isArray(result) ? this.count(result) : this.carryOn(result)),
      schedule: this.options.schedule,
    });
    this.invoker = invoker;
    ctx.onS3Event((event) => this.notified(event));
    if (this.options.reconcile ?? true) {
      this.reconciling = this.reconcile().catch((err: Error) =>
        ctx.log.warn(`splitter: could not look for unsplit raw objects: ${err.message}`),
      );
      void invoker.holdWhile(this.reconciling);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true; // what is queued is split on the next start (reconcile): its objects have no manifest
    await this.reconciling;
    await this.invoker?.stop();
  }

  async status(): Promise<Record<string, unknown>> {
    const inv = this.invoker;
    const f = inv?.figures;
    return {
      ...this.figures,
      files_failed: f?.failed ?? 0,
      invocations: f?.invocations ?? 0,
      retries: f?.retries ?? 0,
      in_flight: inv?.inFlight ?? 0,
      queued: inv?.queued ?? 0,
      ...(inv?.lastError ? { last_error: inv.lastError } : {}),
    };
  }

  /** Resolves when nothing is queued, being split or waiting for a retry. */
  waitIdle(): Promise<void> {
    return this.invoker?.idle() ?? Promise.resolve();
  }

  private handOff(continuation: Continuation): Promise<void> {
    this.figures.files_continued++;
    this.invoker?.invoke({ continuation });
    return Promise.resolve();
  }

  /** The state machine's Choice: another part while not done. */
  private carryOn(result: ContinueResult): void {
    if (!result.done && result.continuation) this.invoker?.invoke({ continuation: result.continuation });
    else if (result.status === 'split') {
      this.figures.files_done++;
      this.figures.events_emitted += result.events_emitted ?? 0;
      this.figures.rows_read += result.rows_read ?? 0;
    } else this.figures.files_ignored++;
  }

  private count(results: readonly ObjectResult[]): void {
    for (const r of results) {
      if (r.outcome.status === 'paused') continue; // counted when its last part ends
      if (r.outcome.status === 'split') {
        this.figures.files_done++;
        this.figures.events_emitted += r.outcome.manifest.events_emitted;
        this.figures.rows_read += r.outcome.manifest.rows_read;
      } else {
        this.figures.files_ignored++;
      }
    }
  }

  /** One invocation per record, as S3 sends them; only what the notification filter on AWS lets through. */
  private notified(event: S3Event): void {
    if (this.stopped) return;
    for (const record of event.Records ?? []) {
      if (!record.eventName?.startsWith('ObjectCreated')) continue;
      if (!isSplittableKey(decodeS3EventKey(record.s3.object.key))) continue;
      this.invoker?.invoke({ Records: [record] });
    }
  }

  /** Raw objects with no manifest (or an older one) that are not on the DLQ. */
  private async reconcile(): Promise<void> {
    const s3 = this.ctx.clients.s3;
    const bucket = this.ctx.clients.names.bucket;
    const manifests = new Map<string, number>();
    for (const o of await listAll(s3, bucket, `${PREFIXES.manifests}${PREFIXES.raw}`))
      manifests.set(o.key, o.lastModified);
    const failed = new Set(
      (await this.dlq.list(SPLITTER_SERVICE)).flatMap((e) =>
        e.payload.kind === 's3' ? [`${e.payload.key}\u0000${e.payload.etag ?? ''}`] : [],
      ),
    );
    let found = 0;
    for (const o of await listAll(s3, bucket, PREFIXES.raw)) {
      if (!isSplittableKey(o.key) || this.stopped) continue;
      const manifestAt = manifests.get(manifestKeyOf(o.key));
      if (manifestAt !== undefined && manifestAt >= o.lastModified) continue;
      if (failed.has(`${o.key}\u0000${o.etag}`)) continue;
      found++;
      this.invoker?.invoke(objectCreatedEvent({ bucket, key: o.key, etag: o.etag, size: o.size }, 'reconcile'));
    }
    if (found > 0) this.ctx.log.info(`splitter: ${found} raw object(s) had no manifest; splitting them now`);
  }
}

function s3Objects(event: S3Event): { bucket: string; key: string; etag: string }[] {
  return event.Records.map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeS3EventKey(r.s3.object.key),
    etag: r.s3.object.eTag,
  }));
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
      if (o.Key)
        out.push({
          key: o.Key,
          etag: normaliseEtag(o.ETag),
          size: o.Size ?? 0,
          lastModified: o.LastModified?.getTime() ?? 0,
        });
    }
  }
  return out;
}
