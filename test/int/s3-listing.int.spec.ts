/**
 * A listing of more than one page on the local S3 (over 1,000 keys) pages through every
 * key, and `status` counts them. s3rver makes its continuation token with DES, which
 * OpenSSL 3 keeps in its legacy provider; without it (src/local/emulator-process.ts) the
 * second page's token could not be made and the listing answered InternalError — found
 * when a 2 M-reading long run's alert archive passed 1,000 objects and `status` failed.
 */
import { paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { resourceStatus } from '../../src/ops/status.ts';
import { inPool } from '../../src/shared/concurrency.ts';
import { PREFIXES } from '../../src/shared/resources.ts';
import { useBareStack } from '../support/bare-stack.ts';

const stack = useBareStack();
const OBJECTS = 1_001;

describe('a listing longer than one page on the local S3', () => {
  it('pages through every key, and status counts them', async () => {
    const { s3, names } = stack().clients;
    const keys = Array.from({ length: OBJECTS }, (_, i) => `${PREFIXES.processedAlerts}y=2025/m=08/d=01/${i}.json`);
    await inPool(keys, 16, async (Key) => {
      await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key, Body: '{}' }));
    });

    const listed: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: names.bucket, Prefix: PREFIXES.processedAlerts },
    )) {
      pages += 1;
      listed.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    }
    expect(pages).toBe(2);
    expect(listed.sort()).toEqual([...keys].sort());

    const status = await resourceStatus(stack().clients);
    expect(status.bucket.objects['processedAlerts']).toBe(OBJECTS);
  });
});
