/**
 * The registry loader's handler on the real emulators: an S3 notification for an
 * assets file loads it into the assets table, and what it did is counted (the
 * Powertools metrics of the deployed function).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createRegistryHandler } from '../../src/consumers/registry/handler.ts';
import { encodeS3EventKey } from '../../src/shared/s3-keys.ts';
import { assetsCsv, buildAssets } from '../../src/generate/assets.ts';
import { useBareStack } from '../support/bare-stack.ts';
import { PUBLISHED_METRICS, SummingCounter } from '../../src/shared/telemetry.ts';

const s3Event = (bucket: string, ...keys: string[]): S3Event =>
  ({
    Records: keys.map((key) => ({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: bucket }, object: { key: encodeS3EventKey(key) } },
    })),
  }) as unknown as S3Event;

describe('registry loader handler', () => {
  const bare = useBareStack();

  it('loads each assets file of the notification and counts files, assets and rejected rows', async () => {
    const stack = bare();
    const bucket = stack.clients.names.bucket;
    const network = buildAssets(3, 4);
    const feeders = network.reduce((n, s) => n + s.feeders.length, 0);
    const put = (Key: string, Body: string) =>
      stack.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    await put('reference/assets/network one.csv', `${assetsCsv(network)}LV9,Bad,01,not-a-number,400,false,52,-1\n`);
    await put('reference/assets/notes.csv', 'hello,world\n1,2\n');

    const counter = new SummingCounter();
    const handler = createRegistryHandler({ s3: stack.clients.s3, doc: stack.clients.doc, metrics: counter });
    const { loaded } = await handler(
      s3Event(bucket, 'reference/assets/network one.csv', 'reference/assets/notes.csv', 'raw/not-an-assets-file.csv'),
    );

    expect(loaded.map((l) => [l.key, l.assets, l.rejected.length, Boolean(l.error)])).toEqual([
      ['reference/assets/network one.csv', feeders + network.length, 1, false],
      ['reference/assets/notes.csv', 0, 0, true],
    ]);
    expect(Object.fromEntries(counter.sums)).toEqual({
      AssetFilesLoaded: 1,
      AssetFilesFailed: 1,
      AssetsLoaded: feeders + network.length,
      AssetRowsRejected: 1,
    });
    expect([...counter.sums.keys()].sort()).toEqual([...PUBLISHED_METRICS.registry].sort());
  });
});
