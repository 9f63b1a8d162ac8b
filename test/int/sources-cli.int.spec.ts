/**
 * A new layout as a user adds one: `sources add` stores the shipped example mapping on a
 * running embedded stack, `ingest --source` uploads a file of that layout into its
 * month (the metadata names the source), the splitter splits it with the stored mapping,
 * a header-recognised upload takes the same mapping without --source, verify's re-split
 * gives what the manifests say, and `sources rm` takes the mapping away again.
 */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../src/local/service.ts';
import { createSplitterService } from '../../src/local/services/splitter.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { splitAgain } from '../../src/ops/replay/verify/emitted.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import { SOURCE_METADATA_KEY } from '../../src/shared/sources/store.ts';
import { runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { tempDir } from '../support/tmp.ts';
import { getManifest } from './splitter.support.ts';
import { EXAMPLE, EXAMPLE_ACCOUNTING } from '../support/sources-example.ts';

const INGESTED_KEY = 'raw/prod/lv/y=2025/m=08/monitor-export.csv';
const HEADER_KEY = 'raw/prod/monitors/export-2.csv';

let stack: EmbeddedStack;
let dir: string;
let cleanup: () => Promise<void>;
const cli = (...args: string[]) => runCli([...args, '--data-dir', dir]);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-sources-cli-'));
  stack = await startStack({ dataDir: dir, services: [createSplitterService({ reconcile: false })], log: silentLog });
});
afterAll(async () => {
  await stack?.stop();
  await cleanup();
});

describe('dubegrid sources on a running stack', () => {
  it('refuses a broken mapping with where and what, and stores nothing', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, (await readFile(`${EXAMPLE}.yaml`, 'utf8')).replace('lookup: channel\n', 'lookup: chanel\n'));
    const r = await cli('sources', 'add', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml is not a valid mapping: reading\.measurement.*chanel/);
    const list = JSON.parse((await cli('sources', 'list', '--json')).stdout) as { mappings: { name: string }[] };
    expect(list.mappings.map((m) => m.name)).not.toContain('monitor_export');
  });

  it('refuses an ingest naming a source no mapping has, before uploading', async () => {
    const r = await cli('ingest', `${EXAMPLE}.csv`, '--source', 'monitor_exprt');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--source monitor_exprt: no mapping has that name \(known: .*lv_long/);
  });

  it('stores a mapping, and the splitter uses it for an ingested file and a recognised one', async () => {
    const added = await cli('sources', 'add', `${EXAMPLE}.yaml`, '--json');
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      name: 'monitor_export',
      key: 'reference/sources/monitor_export.yaml',
    });
    const list = JSON.parse((await cli('sources', 'list', '--json')).stdout) as {
      mappings: { name: string; origin: string; valid: boolean }[];
    };
    expect(list.mappings.find((m) => m.name === 'monitor_export')).toMatchObject({ valid: true });
    expect(list.mappings.filter((m) => m.origin === 'built-in').map((m) => m.name)).toEqual(
      expect.arrayContaining(['lv_long', 'dno_wide', 'energy_json', 'chargeminder_ndjson']),
    );

    // --source: kept as metadata; the month comes from the stored mapping's first reading
    const ingested = await cli('ingest', `${EXAMPLE}.csv`, '--source', 'monitor_export', '--wait', '--json');
    expect(ingested.code, ingested.stderr).toBe(0);
    const { s3, names } = stack.clients;
    const head = await s3.send(new HeadObjectCommand({ Bucket: names.bucket, Key: INGESTED_KEY }));
    expect(head.Metadata?.[SOURCE_METADATA_KEY]).toBe('monitor_export');
    const byFlag = await eventually('the manifest', () => getManifest(stack.clients, INGESTED_KEY));
    expect(byFlag).toMatchObject({
      format: 'monitor_export',
      ...EXAMPLE_ACCOUNTING,
    });

    // no --source: the header recognises the layout
    await s3.send(
      new PutObjectCommand({ Bucket: names.bucket, Key: HEADER_KEY, Body: await readFile(`${EXAMPLE}.csv`) }),
    );
    const byHeader = await eventually('the manifest', () => getManifest(stack.clients, HEADER_KEY));
    expect(byHeader).toMatchObject({ format: 'monitor_export', events_emitted: 6 });

    // verify's re-split chooses as the splitter did: the stored mapping, the object's metadata
    const again = await splitAgain(s3, [byFlag, byHeader] as Manifest[]);
    expect(again.problems).toEqual([]);
    expect(again.emitted).toBe(12);
    expect(again.duplicates).toBe(6);
  });

  it('removes a stored mapping, not a built-in one', async () => {
    const builtin = await cli('sources', 'rm', 'lv_long');
    expect(builtin.code).toBe(2);
    expect(builtin.stderr).toMatch(/lv_long is built in/);
    const rm = await cli('sources', 'rm', 'monitor_export');
    expect(rm.code, rm.stderr).toBe(0);
    const again = await cli('sources', 'rm', 'monitor_export');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no stored mapping is named monitor_export/);
  });
});
