/**
 * The registry loader's Lambda handler: S3 `reference/assets/*.csv` (assets files) and
 * `reference/mapped/*` (reference files read through a mapping) ObjectCreated → the
 * `assets` table. The embedded stack's registry service calls the same
 * `createRegistryHandler` with local clients.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Event } from 'aws-lambda';
import { decodeS3EventKey } from '../../shared/s3-keys.ts';
import { createClients } from '../../shared/clients.ts';
import { readSettings } from '../../shared/settings.ts';
import type { LoadedMapping } from '../../shared/sources/mapping.ts';
import { MappingStore } from '../../shared/sources/store.ts';
import { isMappedReferenceKey, loadMappedReference } from './mapped.ts';
import { lambdaTelemetry, METRIC, type Counter, type HandlerLog } from '../../shared/telemetry.ts';
import { isAssetsKey, loadAssetsObject, type LoadResult } from './loader.ts';

export interface RegistryHandlerDeps {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly log?: HandlerLog;
  /** Files, assets and rejected rows counted (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
  /** Zone of zone-less times, for a mapping whose `timestamp.zone` is `source`. @default 'UTC' */
  readonly sourceTimeZone?: string | undefined;
  /** The stored mappings a reference file is read with. @default `reference/sources/` of the bucket, cached by ETag */
  readonly mappings?: ((bucket: string) => Promise<readonly LoadedMapping[]>) | undefined;
  /** Called after each file is loaded (the embedded stack invalidates the rules' cache). */
  readonly onLoaded?: (result: LoadResult) => void;
}

export type RegistryHandler = (event: S3Event) => Promise<{ loaded: LoadResult[] }>;

/** Is this object one the registry loader reads: an assets file, or a reference file for a mapping? */
export function isRegistryKey(key: string): boolean {
  return isAssetsKey(key) || isMappedReferenceKey(key);
}

export function createRegistryHandler(deps: RegistryHandlerDeps): RegistryHandler {
  const stores = new Map<string, MappingStore>();
  const mappings =
    deps.mappings ??
    (async (bucket: string) => {
      let store = stores.get(bucket);
      if (store === undefined) stores.set(bucket, (store = new MappingStore(deps.s3, bucket)));
      return (await store.load()).mappings;
    });
  return async (event) => {
    const loaded: LoadResult[] = [];
    for (const record of event.Records) {
      const key = decodeS3EventKey(record.s3.object.key);
      const bucket = record.s3.bucket.name;
      let result: LoadResult;
      if (isAssetsKey(key)) result = await loadAssetsObject(deps, bucket, key);
      else if (isMappedReferenceKey(key)) result = await loadMappedReference({ ...deps, mappings }, bucket, key);
      else continue;
      loaded.push(result);
      if (result.error) deps.log?.warn(`registry: ${key} not loaded: ${result.error} (see ${result.quarantine_key})`);
      else deps.log?.info(`registry: ${key}: ${result.assets} asset(s) from ${result.rows} row(s)`);
      if (result.rejected.length)
        deps.log?.warn(
          `registry: ${key}: ${result.rejected.length} row(s) rejected, first line ${result.rejected[0]?.line}: ${result.rejected[0]?.message} (see ${result.quarantine_key})`,
        );
      deps.metrics?.add(result.error ? METRIC.assetFilesFailed : METRIC.assetFilesLoaded, 1);
      deps.metrics?.add(METRIC.assetsLoaded, result.assets);
      deps.metrics?.add(METRIC.assetRowsRejected, result.rejected.length);
      deps.onLoaded?.(result);
    }
    return { loaded };
  };
}

const telemetry = lambdaTelemetry('registry');
let lambdaHandler: RegistryHandler | undefined;

/** The Lambda entry (`FUNCTIONS.registry.entry`), built on first use. */
export const handler: RegistryHandler = telemetry.instrument((event: S3Event) => {
  if (!lambdaHandler) {
    const clients = createClients({ target: 'aws' });
    lambdaHandler = createRegistryHandler({
      sourceTimeZone: readSettings().sourceTimeZone,
      s3: clients.s3,
      doc: clients.doc,
      log: telemetry.log,
      metrics: telemetry.metrics,
    });
  }
  return lambdaHandler(event);
});
