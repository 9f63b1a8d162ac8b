/**
 * The registry loader's Lambda handler: S3 `reference/assets/*.csv` ObjectCreated →
 * the `assets` table. The embedded stack's registry service calls the same
 * `createRegistryHandler` with local clients.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Event } from 'aws-lambda';
import { decodeS3EventKey } from '../../shared/s3-keys.ts';
import { createClients } from '../../shared/clients.ts';
import { lambdaTelemetry, METRIC, type Counter, type HandlerLog } from '../../shared/telemetry.ts';
import { isAssetsKey, loadAssetsObject, type LoadResult } from './loader.ts';

export interface RegistryHandlerDeps {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly log?: HandlerLog;
  /** Files, assets and rejected rows counted (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
  /** Called after each file is loaded (the embedded stack invalidates the rules' cache). */
  readonly onLoaded?: (result: LoadResult) => void;
}

export type RegistryHandler = (event: S3Event) => Promise<{ loaded: LoadResult[] }>;

export function createRegistryHandler(deps: RegistryHandlerDeps): RegistryHandler {
  return async (event) => {
    const loaded: LoadResult[] = [];
    for (const record of event.Records) {
      const key = decodeS3EventKey(record.s3.object.key);
      if (!isAssetsKey(key)) continue;
      const result = await loadAssetsObject(deps, record.s3.bucket.name, key);
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
      s3: clients.s3,
      doc: clients.doc,
      log: telemetry.log,
      metrics: telemetry.metrics,
    });
  }
  return lambdaHandler(event);
});
