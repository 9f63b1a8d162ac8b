/**
 * The registry loader in the embedded stack: what the S3 notification on
 * `reference/assets/*.csv` and `reference/mapped/*` → Lambda does on AWS, through the local S3 trigger
 * (`../invoker/`): Lambda's retries on the scaled clock, then the local DLQ, from
 * where `dubegrid dlq redrive` loads the file again. Files are loaded one at a time in
 * arrival order (a later file's rows win). S3 notifications of the emulator live in
 * memory only, so on start every assets file in the bucket is loaded again, oldest
 * first (loading is an idempotent upsert). After each load the anomaly service's
 * registry cache is dropped.
 */
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import {
  createRegistryHandler,
  isRegistryKey,
  type RegistryHandler,
  type RegistryHandlerDeps,
} from '../../consumers/registry/handler.ts';
import type { LoadResult } from '../../consumers/registry/loader.ts';
import { readSettings } from '../../shared/settings.ts';
import { decodeS3EventKey } from '../../shared/s3-keys.ts';
import { normaliseEtag } from '../../shared/manifest.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { LocalDlq } from '../dlq.ts';
import { S3TriggerInvoker } from '../invoker/invoker.ts';
import { objectCreatedEvent } from '../invoker/s3-event.ts';
import type { AsyncSchedule } from '../invoker/schedule.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';
import { ANOMALY_SERVICE, type AnomalyService } from './anomaly.ts';

export const REGISTRY_SERVICE = 'registry';

export interface RegistryService extends Service {
  /** Resolves once every notification received so far is handled. */
  idle(): Promise<void>;
}

export interface RegistryServiceOptions {
  /** Retries and event age; the deployed settings on the local clock when absent (tests shorten them). */
  readonly schedule?: AsyncSchedule;
  /** Builds the handler; the default is the Lambda's, with the stack's clients. */
  readonly handler?: (ctx: ServiceContext, deps: Pick<RegistryHandlerDeps, 'onLoaded'>) => RegistryHandler;
}

/** The Lambda's handler on the stack's clients: the service and `dlq redrive` build it alike. */
export function localRegistryHandler(
  ctx: Pick<ServiceContext, 'clients' | 'log'>,
  deps: Pick<RegistryHandlerDeps, 'onLoaded'> = {},
): RegistryHandler {
  return createRegistryHandler({
    s3: ctx.clients.s3,
    doc: ctx.clients.doc,
    log: ctx.log,
    sourceTimeZone: readSettings().sourceTimeZone,
    ...deps,
  });
}

function createRegistryService(ctx: ServiceContext, options: RegistryServiceOptions): RegistryService {
  const figures = { files_loaded: 0, assets_written: 0, rows_rejected: 0, files_failed: 0 } as Record<string, number>;
  let lastFile: string | undefined;
  const onLoaded = (r: LoadResult): void => {
    if (r.error) figures.files_failed = (figures.files_failed ?? 0) + 1;
    else figures.files_loaded = (figures.files_loaded ?? 0) + 1;
    figures.assets_written = (figures.assets_written ?? 0) + r.assets;
    figures.rows_rejected = (figures.rows_rejected ?? 0) + r.rejected.length;
    lastFile = r.key;
    ctx.service<AnomalyService>(ANOMALY_SERVICE)?.invalidateAssets();
  };
  const handler = (options.handler ?? localRegistryHandler)(ctx, { onLoaded });
  // one at a time: a later file's rows win, and a retry keeps its place
  const invoker = new S3TriggerInvoker({
    source: REGISTRY_SERVICE,
    handler,
    destination: new LocalDlq(ctx.paths.dlq),
    concurrency: 1,
    log: ctx.log,
    schedule: options.schedule,
  });

  return {
    name: REGISTRY_SERVICE,
    async start() {
      ctx.onS3Event((event) => {
        const records = event.Records.filter(
          (r) => r.eventName?.startsWith('ObjectCreated') !== false && isRegistryKey(decodeS3EventKey(r.s3.object.key)),
        );
        if (records.length) invoker.invoke({ Records: records });
      });
      // Files uploaded while nothing ran: loaded again, oldest first.
      const existing: { key: string; etag: string; at: number }[] = [];
      for (const prefix of [PREFIXES.referenceAssets, PREFIXES.referenceMapped])
        for await (const page of paginateListObjectsV2(
          { client: ctx.clients.s3 },
          { Bucket: ctx.clients.names.bucket, Prefix: prefix },
        )) {
          for (const o of page.Contents ?? [])
            if (o.Key && isRegistryKey(o.Key))
              existing.push({ key: o.Key, etag: normaliseEtag(o.ETag), at: o.LastModified?.getTime() ?? 0 });
        }
      existing.sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
      // with its ETag, so a file that fails again is the same DLQ entry as when it was notified
      for (const { key, etag } of existing)
        invoker.invoke(objectCreatedEvent({ bucket: ctx.clients.names.bucket, key, etag }, 'reconcile'));
    },
    stop: () => invoker.stop(),
    idle: () => invoker.idle(),
    flush: () => invoker.idle(),
    async status() {
      // files_failed counts files the loader could not read (quarantined) and files listed on the DLQ
      const failed = (figures.files_failed ?? 0) + invoker.figures.failed;
      return {
        ...figures,
        files_failed: failed,
        ...(lastFile ? { last_file: lastFile } : {}),
        ...(invoker.lastError ? { last_error: invoker.lastError } : {}),
      };
    },
  };
}

export function createRegistryServiceFactory(options: RegistryServiceOptions = {}): ServiceFactory {
  return (ctx) => createRegistryService(ctx, options);
}

export const registryService: ServiceFactory = createRegistryServiceFactory();
