import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertStore } from '../../src/consumers/anomaly/store/alert-store.ts';
import { generate } from '../../src/generate/index.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { anomalyService } from '../../src/local/services/anomaly.ts';
import { registryService, type RegistryService } from '../../src/local/services/registry.ts';
import { splitterServiceFactory } from '../../src/local/services/splitter.ts';
import { silentLog } from '../../src/local/service.ts';
import { snsService, type SnsService } from '../../src/local/sns/service.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { manifestKeyOf, type Manifest } from '../../src/shared/manifest.ts';
import { PREFIXES, TABLES } from '../../src/shared/resources.ts';
import { scanAll } from '../support/tables.ts';
import { tempDir } from '../support/tmp.ts';

describe('clean generated data on the embedded stack', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await writeFile(join(dir, 'subscriptions.json'), JSON.stringify({ subscriptions: [{ name: 'log', protocol: 'file', endpoint: 'alerts.jsonl' }] }));
    stack = await startStack({ dataDir: dir, services: [snsService, registryService, anomalyService, splitterServiceFactory], log: silentLog });
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('raises no alert at all', async () => {
    const summary = await generate({ out: join(dir, 'generated'), substations: 2, days: 2, seed: 9 });
    const { s3 } = stack.clients;
    const Bucket = stack.clients.names.bucket;
    await s3.send(new PutObjectCommand({ Bucket, Key: `${PREFIXES.referenceAssets}assets.csv`, Body: await readFile(summary.assets_file) }));
    const registry = stack.service<RegistryService>('registry') as RegistryService;
    for (let i = 0; i < 600 && ((await registry.status?.()) as { files_loaded: number }).files_loaded < 1; i++) await new Promise((r) => setTimeout(r, 100));

    const key = 'raw/test/clean.csv';
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: await readFile(summary.files[0]!.path) }));
    let manifest: Manifest | undefined;
    for (let i = 0; i < 600 && !manifest; i++) {
      manifest = await s3
        .send(new GetObjectCommand({ Bucket, Key: manifestKeyOf(key) }))
        .then(async (o) => JSON.parse((await o.Body?.transformToString()) ?? '{}') as Manifest)
        .catch(() => undefined);
      if (!manifest) await new Promise((r) => setTimeout(r, 100));
    }
    const targets = { ...manifest?.kinesis.shards };
    expect(Object.keys(targets).length).toBeGreaterThan(0);
    await waitForConsumers(dataPaths(dir), ['anomaly'], targets, { timeoutMs: 60_000 });
    await stack.service<SnsService>('sns')?.topic.flush();

    const windows = await scanAll(stack.clients.doc, TABLES.windows.tableName);
    expect(windows.length).toBeGreaterThan(summary.feeders * 8);
    expect(await new AlertStore(stack.clients.doc).incidents()).toEqual([]);
    expect(await new AlertStore(stack.clients.doc).notifications()).toEqual([]);
    expect(((await stack.status()).anomaly as { this_process: { applied: number } }).this_process.applied).toBe(summary.rows);
    await expect(readFile(join(dir, 'alerts.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
