/**
 * The SQL engine of a target: on the embedded target DuckDB over a fresh mirror of the
 * lake (only new or changed objects fetched) plus the registry and incidents; on AWS
 * Athena. Both answer the same SQL.
 */
import { join } from 'node:path';
import type { Clients } from '../../shared/clients.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { AthenaSqlEngine } from './athena-engine.ts';
import { syncPrefix, type SyncOutcome } from './cache.ts';
import type { CompactOutcome } from './compact.ts';
import { LocalSqlEngine } from './local-engine.ts';
import { registryAlerts, registryAssets } from './registry.ts';
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
  const [sync, assets, alerts] = await Promise.all([
    syncPrefix(clients.s3, clients.names.bucket, PREFIXES.processed, lakeDir),
    registryAssets(clients),
    registryAlerts(clients),
  ]);
  const engine = await LocalSqlEngine.open({ lakeDir, assets, alerts });
  return { engine, sync, compaction: engine.compaction };
}
