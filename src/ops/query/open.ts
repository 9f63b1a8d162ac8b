/**
 * The SQL engine of a target: on the embedded target DuckDB over a fresh mirror of the
 * lake — readings and alert notifications; only new or changed objects fetched — plus
 * the registry; on AWS
 * Athena. Both answer the same SQL.
 */
import { join } from 'node:path';
import type { Clients } from '../../shared/clients.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { AthenaSqlEngine } from './athena-engine.ts';
import { syncPrefix, type SyncOutcome } from './cache.ts';
import type { CompactOutcome } from './compact.ts';
import { LocalSqlEngine } from './local-engine.ts';
import { registryAssets } from './registry.ts';
import type { SqlEngine } from './result.ts';

export interface OpenedEngine {
  readonly engine: SqlEngine;
  /** What the local mirror fetched (embedded target only). */
  readonly sync?: SyncOutcome;
  /** Days the local mirror deduplicated again (embedded target only). */
  readonly compaction?: CompactOutcome;
}

/** Where the embedded target mirrors the lake, inside the data dir's cache. */
export function lakeMirrorDir(cacheDir: string): string {
  return join(cacheDir, 'lake');
}

export async function openSqlEngine(clients: Clients, cacheDir: string): Promise<OpenedEngine> {
  if (clients.target === 'aws') return { engine: new AthenaSqlEngine({ athena: clients.athena }) };
  const lakeDir = lakeMirrorDir(cacheDir);
  // one prefix after the other: both keep the mirror's one index
  const syncLake = async (): Promise<SyncOutcome> => {
    const readings = await syncPrefix(clients.s3, clients.names.bucket, PREFIXES.processed, lakeDir);
    const alerts = await syncPrefix(clients.s3, clients.names.bucket, PREFIXES.processedAlerts, lakeDir);
    return {
      objects: readings.objects + alerts.objects,
      fetched: readings.fetched + alerts.fetched,
      removed: readings.removed + alerts.removed,
      bytes_fetched: readings.bytes_fetched + alerts.bytes_fetched,
    };
  };
  const [sync, assets] = await Promise.all([syncLake(), registryAssets(clients)]);
  const engine = await LocalSqlEngine.open({ lakeDir, assets });
  return { engine, sync, compaction: engine.compaction };
}
