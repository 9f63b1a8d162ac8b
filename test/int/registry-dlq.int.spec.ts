/**
 * The registry loader's failures in the embedded stack, as on AWS: a load that keeps
 * failing is retried on Lambda's schedule (scaled), then listed on the local DLQ, and
 * `dubegrid dlq redrive` loads the file once the cause is gone.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAssets, assetsCsv } from '../../src/generate/assets.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { LocalDlq } from '../../src/local/dlq.ts';
import { asyncSchedule } from '../../src/local/invoker/schedule.ts';
import {
  createRegistryServiceFactory,
  localRegistryHandler,
  REGISTRY_SERVICE,
  type RegistryService,
} from '../../src/local/services/registry.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { silentLog } from '../../src/local/service.ts';
import { decodeS3EventKey } from '../../src/shared/s3-keys.ts';
import { TABLES } from '../../src/shared/resources.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { eventually } from '../support/eventually.ts';

describe('registry failures (embedded)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack | undefined;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('retries a failing load twice, lists the file on the DLQ, and dlq redrive loads it', async () => {
    const attempts: string[] = [];
    let broken = true;
    const registry = createRegistryServiceFactory({
      schedule: asyncSchedule(50 / 60_000), // Lambda's 1 and 2 minutes as 50 and 100 ms
      handler: (ctx, deps) => {
        const real = localRegistryHandler(ctx, deps);
        return async (event) => {
          attempts.push(decodeS3EventKey(event.Records[0]!.s3.object.key));
          if (broken) throw new Error('the assets table is unavailable');
          return real(event);
        };
      },
    });
    const dataDir = `${dir}/data`;
    stack = await startStack({ dataDir, services: [registry], log: silentLog });
    const { s3, doc, names } = stack.clients;
    const key = 'reference/assets/network.csv';
    await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: assetsCsv(buildAssets(3, 2)) }));

    const dlq = new LocalDlq(dataPaths(dataDir).dlq);
    await eventually('the registry DLQ entry', async () => (await dlq.list(REGISTRY_SERVICE)).length > 0);
    await stack.service<RegistryService>(REGISTRY_SERVICE)!.idle();
    expect(attempts).toEqual([key, key, key]);
    const entries = await dlq.list(REGISTRY_SERVICE);
    expect(entries).toEqual([
      expect.objectContaining({
        source: REGISTRY_SERVICE,
        condition: 'retries_exhausted',
        attempts: 3,
        error: 'the assets table is unavailable',
        payload: expect.objectContaining({ kind: 's3', bucket: names.bucket, key }),
      }),
    ]);
    expect(await stack.service<RegistryService>(REGISTRY_SERVICE)!.status!()).toMatchObject({
      files_loaded: 0,
      files_failed: 1,
    });
    const scanned = async (): Promise<number> =>
      (await doc.send(new ScanCommand({ TableName: TABLES.assets.tableName, Select: 'COUNT' }))).Count ?? 0;
    expect(await scanned()).toBe(0);

    broken = false;
    const run = await runCli(['dlq', 'redrive', entries[0]!.id, '--data-dir', dataDir]);
    expect(run.stderr).not.toMatch(/NOT redriven/);
    expect(run.code).toBe(0);
    expect(await dlq.list(REGISTRY_SERVICE)).toEqual([]);
    expect(await scanned()).toBeGreaterThan(0);
  });
});
