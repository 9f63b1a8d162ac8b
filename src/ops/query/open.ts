/**
 * The SQL engine of a target: on the embedded target DuckDB over a fresh mirror of the
 * lake — readings, alert notifications and the rollups; only new or changed objects fetched — plus
 * the registry; on AWS
 * Athena. Both answer the same SQL.
 */
import { join } from 'node:path';
import type { Clients } from '../../shared/clients.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { AthenaSqlEngine } from './athena-engine.ts';
import { syncPrefix, type SyncOutcome } from './cache.ts';
import type { DedupeOutcome } from './dedupe.ts';
import { LocalSqlEngine } from './local-engine.ts';
import { registryAssets } from './registry.ts';
import type { SqlEngine } from './result.ts';

export interface OpenedEngine {
  readonly engine: SqlEngine;
  /** What the local mirror fetched (embedded target only). */
  readonly sync?: SyncOutcome;
  /** Days the local mirror deduplicated again (embedded target only). */
  readonly dedupe?: DedupeOutcome;
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
    const outcomes: SyncOutcome[] = [];
    for (const prefix of [PREFIXES.processed, PREFIXES.processedAlerts, PREFIXES.processedRollups]) {
      outcomes.push(await syncPrefix(clients.s3, clients.names.bucket, prefix, lakeDir));
    }
    const sum = (k: keyof SyncOutcome): number => outcomes.reduce((n, o) => n + o[k], 0);
    return {
      objects: sum('objects'),
      fetched: sum('fetched'),
      removed: sum('removed'),
      bytes_fetched: sum('bytes_fetched'),
    };
  };
  const [sync, assets] = await Promise.all([syncLake(), registryAssets(clients)]);
  const engine = await LocalSqlEngine.open({ lakeDir, assets });
  return { engine, sync, dedupe: engine.dedupe };
}
