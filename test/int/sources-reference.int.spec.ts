/**
 * Reference data through a mapping, as a user feeds it: an assets file sets ratings,
 * `dubegrid sources add` stores a mapping with a `reference` block, `ingest --prefix
 * reference/mapped/` uploads a file of that layout, and the registry loader merges the
 * names and locations it carries: a known asset keeps its rating, an asset known only
 * from the file is created without one, and a row whose location cannot be read is
 * quarantined with its line.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../src/local/service.ts';
import { registryService } from '../../src/local/services/registry.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { listAssets, waitForAssetsLoaded } from '../../src/consumers/registry/record.ts';
import { TABLES } from '../../src/shared/resources.ts';
import type { QuarantineEntry } from '../../src/shared/quarantine.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const EXAMPLE = 'docs/examples/sources/feeder-locations';
const KEY = 'reference/mapped/feeder-locations.csv';
const ASSETS_KEY = 'reference/assets/assets.csv';

let stack: EmbeddedStack;
let dir: string;
let cleanup: () => Promise<void>;
const cli = (...args: string[]) => runCli([...args, '--data-dir', dir]);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-sources-reference-'));
  stack = await startStack({ dataDir: dir, services: [registryService], log: silentLog });
});
afterAll(async () => {
  await stack?.stop();
  await cleanup();
});

describe('a mapping feeding the asset registry', () => {
  it('merges names and locations into the registry without erasing a rating', async () => {
    // the ratings first (straight to the bucket: the CLI's part is the mapping and the reference file)
    const { s3, doc, names } = stack.clients;
    const since = new Date(Date.now() - 1000).toISOString();
    await s3.send(
      new PutObjectCommand({
        Bucket: names.bucket,
        Key: ASSETS_KEY,
        Body:
          'substation_number,substation_name,feeder_id,transformer_kva,feeder_rated_current_a,has_generation\n' +
          'LV100001,CHARTERHOUSE DR,01,500,400,false\n',
      }),
    );
    const list = () => listAssets(doc, TABLES.assets.tableName);
    await waitForAssetsLoaded(list, ASSETS_KEY, since, 60_000);

    const added = await cli('sources', 'add', `${EXAMPLE}.yaml`);
    expect(added.code, added.stderr).toBe(0);
    const ingested = await cli('ingest', `${EXAMPLE}.csv`, '--prefix', 'reference/mapped/', '--wait', '--json');
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ registry_loaded: [KEY] });

    const byId = new Map((await list()).map((a) => [a.asset_id, a]));
    const facts = (id: string) => {
      const a = byId.get(id);
      return (
        a && {
          kind: a.kind,
          name: a.substation_name,
          kva: a.transformer_kva,
          rated: a.rated_current_a,
          gen: a.has_generation,
          lat: a.latitude,
          lon: a.longitude,
        }
      );
    };
    const located = { name: 'Charterhouse Drive', lat: 52.4107, lon: -1.778 };
    // known from the assets file: ratings and flags kept, name and location from the mapping
    expect(facts('LV100001')).toEqual({ kind: 'substation', kva: 500, rated: undefined, gen: false, ...located });
    expect(facts('LV100001:01')).toEqual({ kind: 'feeder', kva: 500, rated: 400, gen: false, ...located });
    expect(byId.get('LV100001')?.feeders).toBe(1);
    // known only from the mapping: created with no rating and no flag
    expect(facts('LV100001:02')).toEqual({
      kind: 'feeder',
      kva: undefined,
      rated: undefined,
      gen: undefined,
      ...located,
    });
    // a row without a reading (NA) still places its site
    const mill = { name: 'Mill Lane', lat: 52.3921, lon: -1.8012, kva: undefined, rated: undefined, gen: undefined };
    expect(facts('LV100002')).toEqual({ kind: 'substation', ...mill });
    expect(facts('LV100002:01')).toEqual({ kind: 'feeder', ...mill });
    // the row whose location says no number: refused, so nothing of it is written
    expect(byId.has('LV100003')).toBe(false);
    expect(byId.get('LV100002')?.source_key).toBe(KEY);

    const q = await s3.send(new GetObjectCommand({ Bucket: names.bucket, Key: `quarantine/${KEY}.jsonl` }));
    const entries = ((await q.Body?.transformToString()) ?? '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as QuarantineEntry);
    expect(entries.map((e) => [e.stage, e.line, e.reason])).toEqual([['registry', 5, 'invalid_field']]);
    expect(entries[0]?.message).toMatch(/substation_geo_location "north of the river" does not match/);
  });
});
