/**
 * Re-routing what was quarantined (issue #15, item 5), on the whole embedded pipeline
 * through the CLI: a file of a layout no mapping knows lands and every row is
 * quarantined `unknown_format`; after `sources add`, `backfill` re-splits it into
 * readings, its quarantine object is replaced (the old entries do not count twice) and
 * `verify` holds across every zone.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedStack } from '../../src/local/stack.ts';
import type { VerifyReport } from '../../src/ops/replay/verify/verify.ts';
import { quarantineKeyOf } from '../../src/shared/quarantine.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { getManifest } from './splitter.support.ts';
import { ingestObject, RAW_PREFIX, startPipeline, webhook, type Webhook } from './replay.support.ts';
import { EXAMPLE, EXAMPLE_ACCOUNTING } from '../support/sources-example.ts';

const KEY = `${RAW_PREFIX}monitor-export.csv`;

let dir: string;
let cleanup: () => Promise<void>;
let hook: Webhook;
let stack: EmbeddedStack;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-sources-backfill-'));
  hook = await webhook();
  stack = await startPipeline(dir, hook);
});
afterAll(async () => {
  await stack?.stop();
  await hook?.close();
  await cleanup?.();
});

async function quarantineLines(): Promise<number> {
  const { s3, names } = stack.clients;
  const got = await s3.send(new GetObjectCommand({ Bucket: names.bucket, Key: quarantineKeyOf(KEY) }));
  return (await got.Body!.transformToString()).trim().split('\n').length;
}

describe('a quarantined layout, re-split after its mapping is added', () => {
  it('becomes readings through backfill, and verify holds with the old quarantine entries gone', async () => {
    const before = await ingestObject(stack, KEY, await readFile(`${EXAMPLE}.csv`));
    expect(before).toMatchObject({ rows_read: 8, rows_accepted: 0, quarantine_reasons: { unknown_format: 8 } });
    expect(before.events_emitted).toBe(0);
    expect(await quarantineLines()).toBe(8);

    const added = await runCli(['sources', 'add', `${EXAMPLE}.yaml`, '--data-dir', dir]);
    expect(added.code, added.stderr).toBe(0);
    const backfill = await runCli(['backfill', '--prefix', KEY, '--wait', '--json', '--data-dir', dir]);
    expect(backfill.code, backfill.stderr).toBe(0);

    const after = await getManifest(stack.clients, KEY);
    expect(after).toMatchObject({
      format: 'monitor_export',
      ...EXAMPLE_ACCOUNTING,
    });
    expect(await quarantineLines()).toBe(2);

    const verify = await runCli(['verify', '--json', '--data-dir', dir]);
    const report = JSON.parse(verify.stdout) as VerifyReport;
    expect(report.differences).toEqual([]);
    expect(verify.code, verify.stderr).toBe(0);
    const state = await runCli(['state', '720512:1', '--json', '--data-dir', dir]);
    expect(state.code, state.stderr).toBe(0);
    expect(state.stdout).toContain('l1_active_power');
  });
});
