/**
 * Shared by the replay and verify integration tests: a whole embedded pipeline on a
 * temp dir with a webhook subscriber, generated data with labelled anomalies ingested
 * through the real splitter, and snapshots of every projection (full table scans, the
 * deduplicated lake) to compare before and after.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateLabelled } from '../../src/generate/labelled.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { PIPELINE_SERVICES } from '../../src/local/pipeline.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { catchUpProjections, shardTargetsOf } from '../../src/ops/replay/catch-up.ts';
import { opsEnvironment, type ContextLike, type OpsEnvironment } from '../../src/ops/replay/environment.ts';
import { openSqlEngine } from '../../src/ops/query/open.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import { PREFIXES, TABLES, type TableKey } from '../../src/shared/resources.ts';
import { eventually } from '../support/eventually.ts';
import { scanAll } from '../support/tables.ts';
import { getManifest } from './splitter.support.ts';

export interface Webhook {
  readonly url: string;
  /** Notification ids received, in order (one per POST). */
  readonly received: string[];
  close(): Promise<void>;
}

/** An HTTP subscriber that records the notification id of every alert POSTed to it. */
export async function webhook(): Promise<Webhook> {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const message = JSON.parse(JSON.parse(body).Message as string) as { notification_id: string };
      received.push(message.notification_id);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The whole pipeline, as `dubegrid up` runs it, with the webhook as the topic's only subscriber. */
export async function startPipeline(dir: string, hook: Webhook): Promise<EmbeddedStack> {
  await writeFile(
    join(dir, 'subscriptions.json'),
    JSON.stringify({ subscriptions: [{ name: 'hook', protocol: 'http', endpoint: hook.url }] }),
  );
  return startStack({ dataDir: dir, services: PIPELINE_SERVICES });
}

/** What a command attached to this stack from another process sees. */
export function attachedContext(stack: EmbeddedStack): ContextLike {
  return {
    target: 'local',
    dataDir: stack.dataDir,
    clients: stack.clients,
    attached: true,
    servicesStatus: () => stack.status(),
    flush: () => stack.flush(),
  };
}

export function environment(stack: EmbeddedStack): Promise<OpsEnvironment> {
  return opsEnvironment(attachedContext(stack));
}

export const RAW_PREFIX = `${PREFIXES.rawLv}y=2025/m=08/`;

/** Two substations, one day at 10 minutes, with the generator's labelled anomalies (seed 7: one per substation). */
export async function generateData(dir: string): Promise<{ csv: Buffer; assets: Buffer; anomalies: number }> {
  const summary = await generateLabelled({ out: join(dir, 'generated'), substations: 2, days: 1, seed: 7 });
  return {
    csv: await readFile(summary.files[0]!.path),
    assets: await readFile(summary.assets_file),
    anomalies: summary.anomalies,
  };
}

/** Puts a raw object, waits for its manifest, then for every projection to catch up (as `ingest --wait` does). */
export async function ingestObject(stack: EmbeddedStack, key: string, body: Buffer | string): Promise<Manifest> {
  const { s3, names } = stack.clients;
  await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: body }));
  const manifest = await eventually(`the manifest of ${key}`, () => getManifest(stack.clients, key));
  const caught = await catchUpProjections(attachedContext(stack), shardTargetsOf([manifest]), { timeoutMs: 60_000 });
  if (!caught.waited || caught.consumers.length !== 2 || !caught.lake_flushed)
    throw new Error(`the projections were not all watched: ${JSON.stringify(caught)}`);
  return manifest;
}

/** Loads the registry (ratings for the overload rules) and waits until the assets table holds it. */
export async function loadAssets(stack: EmbeddedStack, assets: Buffer): Promise<void> {
  await stack.clients.s3.send(
    new PutObjectCommand({
      Bucket: stack.clients.names.bucket,
      Key: `${PREFIXES.referenceAssets}assets.csv`,
      Body: assets,
    }),
  );
  await eventually(
    'the registry to fill the assets table',
    async () => (await scanAll(stack.clients.doc, TABLES.assets.tableName)).length > 0,
    { timeoutMs: 30_000 },
  );
}

export type Snapshot = Record<TableKey | 'lake', string[]>;

/** Every item of every table and every deduplicated lake row, each as sorted JSON lines. */
export async function snapshot(stack: EmbeddedStack): Promise<Snapshot> {
  const out: Partial<Snapshot> = {};
  for (const [key, def] of Object.entries(TABLES) as [TableKey, (typeof TABLES)[TableKey]][]) {
    const items = await scanAll<Record<string, unknown>>(stack.clients.doc, def.tableName);
    // a shard's `active_at` is wall-clock liveness (when it last had records: the watchdog's
    // idle exclusion), not a projection of the data; everything else must match exactly
    out[key] = items
      .map((item) => (key === 'feeds' ? withoutWallClock(item) : item))
      .map(stable)
      .sort();
  }
  const { engine } = await openSqlEngine(stack.clients, dataPaths(stack.dataDir).cache);
  try {
    const res = await engine.run('SELECT * FROM readings ORDER BY event_id');
    out.lake = res.rows.map((r) => JSON.stringify(r));
  } finally {
    await engine.close();
  }
  return out as Snapshot;
}

function withoutWallClock({ active_at: _wallClock, ...rest }: Record<string, unknown>): Record<string, unknown> {
  return rest;
}

/** JSON with keys sorted, so equal items print alike. */
function stable(item: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))));
}
