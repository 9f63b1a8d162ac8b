/**
 * The registry loader in the embedded stack: what the S3 notification on
 * `reference/assets/*.csv` → Lambda does on AWS. Files are loaded one at a time in
 * arrival order (a later file's rows win); a failed load is retried twice. S3
 * notifications of the emulator live in memory only, so on start every assets file
 * in the bucket is loaded again, oldest first (loading is an idempotent upsert).
 * After each load the anomaly service's registry cache is dropped.
 */
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createRegistryHandler, type RegistryHandler } from '../../consumers/registry/handler.ts';
import { isAssetsKey, type LoadResult } from '../../consumers/registry/loader.ts';
import { decodeS3EventKey, encodeS3EventKey } from '../../shared/s3-keys.ts';
import { PREFIXES } from '../../shared/resources.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';
import { ANOMALY_SERVICE, type AnomalyService } from './anomaly.ts';

export const REGISTRY_SERVICE = 'registry';

/** Waits before the retries of a failed load. */
const RETRY_DELAYS_MS = [500, 2_000] as const;

export interface RegistryService extends Service {
  /** Resolves once every notification received so far is handled. */
  idle(): Promise<void>;
}

function createRegistryService(ctx: ServiceContext): RegistryService {
  const figures = { files_loaded: 0, assets_written: 0, rows_rejected: 0, files_failed: 0 } as Record<string, number>;
  let lastError: string | undefined;
  let lastFile: string | undefined;
  let stopped = false;
  const onLoaded = (r: LoadResult): void => {
    if (r.error) figures.files_failed = (figures.files_failed ?? 0) + 1;
    else figures.files_loaded = (figures.files_loaded ?? 0) + 1;
    figures.assets_written = (figures.assets_written ?? 0) + r.assets;
    figures.rows_rejected = (figures.rows_rejected ?? 0) + r.rejected.length;
    lastFile = r.key;
    ctx.service<AnomalyService>(ANOMALY_SERVICE)?.invalidateAssets();
  };
  const handler: RegistryHandler = createRegistryHandler({ s3: ctx.clients.s3, doc: ctx.clients.doc, log: ctx.log, onLoaded });

  let queue: Promise<void> = Promise.resolve();
  const enqueue = (event: S3Event): void => {
    queue = queue.then(async () => {
      for (let attempt = 0; !stopped; attempt++) {
        try {
          await handler(event);
          return;
        } catch (err) {
          lastError = (err as Error).message;
          const delay = RETRY_DELAYS_MS[attempt];
          if (delay === undefined) {
            figures.files_failed = (figures.files_failed ?? 0) + 1;
            ctx.log.error(`registry: giving up on ${event.Records.map((r) => r.s3.object.key).join(', ')}: ${lastError}`);
            return;
          }
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    });
  };

  return {
    name: REGISTRY_SERVICE,
    async start() {
      ctx.onS3Event((event) => {
        const records = event.Records.filter((r) => r.eventName?.startsWith('ObjectCreated') !== false && isAssetsKey(decodeS3EventKey(r.s3.object.key)));
        if (records.length) enqueue({ Records: records });
      });
      // Files uploaded while nothing ran: loaded again, oldest first.
      const existing: { key: string; at: number }[] = [];
      for await (const page of paginateListObjectsV2({ client: ctx.clients.s3 }, { Bucket: ctx.clients.names.bucket, Prefix: PREFIXES.referenceAssets })) {
        for (const o of page.Contents ?? []) if (o.Key && isAssetsKey(o.Key)) existing.push({ key: o.Key, at: o.LastModified?.getTime() ?? 0 });
      }
      existing.sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
      for (const { key } of existing) enqueue(syntheticEvent(ctx.clients.names.bucket, key));
    },
    async stop() {
      stopped = true;
      await queue;
    },
    idle: () => queue,
    flush: () => queue,
    async status() {
      return { ...figures, ...(lastFile ? { last_file: lastFile } : {}), ...(lastError ? { last_error: lastError } : {}) };
    },
  };
}

function syntheticEvent(bucket: string, key: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: '',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'registry-reconcile',
          bucket: { name: bucket, ownerIdentity: { principalId: 'local' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeS3EventKey(key), size: 0, eTag: '', sequencer: '0' },
        },
      },
    ],
  };
}

export const registryService: ServiceFactory = (ctx) => createRegistryService(ctx);
