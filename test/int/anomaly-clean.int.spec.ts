import { PutObjectCommand } from '@aws-sdk/client-s3';
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
import { PREFIXES, TABLES } from '../../src/shared/resources.ts';
import { eventually } from '../support/eventually.ts';
import { scanAll } from '../support/tables.ts';
import { tempDir } from '../support/tmp.ts';
import { getManifest } from './splitter.support.ts';

describe('clean generated data on the embedded stack', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await writeFile(
      join(dir, 'subscriptions.json'),
      JSON.stringify({ subscriptions: [{ name: 'log', protocol: 'file', endpoint: 'alerts.jsonl' }] }),
    );
    stack = await startStack({
      dataDir: dir,
      services: [snsService, registryService, anomalyService, splitterServiceFactory],
      log: silentLog,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('raises no alert at all', async () => {
    const summary = await generate({ out: join(dir, 'generated'), substations: 2, days: 2, seed: 9 });
    const { s3 } = stack.clients;
    const Bucket = stack.clients.names.bucket;
    await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: `${PREFIXES.referenceAssets}assets.csv`,
        Body: await readFile(summary.assets_file),
      }),
    );
    const registry = stack.service<RegistryService>('registry') as RegistryService;
    await eventually(
      'the registry to load assets.csv',
      async () => ((await registry.status?.()) as { files_loaded: number }).files_loaded >= 1,
    );

    const key = 'raw/test/clean.csv';
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: await readFile(summary.files[0]!.path) }));
    const manifest = await eventually(`the manifest of ${key}`, () => getManifest(stack.clients, key));
    const targets = { ...manifest.kinesis.shards };
    expect(Object.keys(targets).length).toBeGreaterThan(0);
    await waitForConsumers(dataPaths(dir), ['anomaly'], targets, { timeoutMs: 60_000 });
    await stack.service<SnsService>('sns')?.topic.flush();

    const windows = await scanAll(stack.clients.doc, TABLES.windows.tableName);
    expect(windows.length).toBeGreaterThan(summary.feeders * 8);
    expect(await new AlertStore(stack.clients.doc).incidents()).toEqual([]);
    expect(await new AlertStore(stack.clients.doc).notifications()).toEqual([]);
    expect(((await stack.status()).anomaly as { this_process: { applied: number } }).this_process.applied).toBe(
      summary.rows,
    );
    await expect(readFile(join(dir, 'alerts.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
