/**
 * `sources rm` refuses while something still needs the mapping: first a raw file naming
 * it (`--source` metadata) that the splitter has not reached (the stack runs without
 * one), then — once a stack with a splitter has split it — readings in a unit only that
 * mapping declares, still within the stream's retention. `--force` removes it anyway and
 * says what it overrode.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../src/local/service.ts';
import { createSplitterService } from '../../src/local/services/splitter.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { SOURCE_METADATA_KEY } from '../../src/shared/sources/store.ts';
import { runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { EXAMPLE } from '../support/sources-example.ts';
import { tempDir } from '../support/tmp.ts';
import { getManifest } from './splitter.support.ts';

const KEY = 'raw/prod/lv/y=2025/m=08/pumps.csv';
const NAME = 'pump_export';

let stack: EmbeddedStack | undefined;
let dir: string;
let cleanup: () => Promise<void>;
const cli = (...args: string[]) => runCli([...args, '--data-dir', dir]);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-sources-rm-'));
  // the shipped example under another name, declaring a unit no other mapping has
  const text = (await readFile(`${EXAMPLE}.yaml`, 'utf8')).replace('name: monitor_export', `name: ${NAME}`);
  await writeFile(
    join(dir, 'pump.yaml'),
    `${text}\nunits:\n  l_per_h:\n    max_abs: 100000\n    negative_is_abnormal: true\n    why: a pump's flow\n`,
  );
  stack = await startStack({ dataDir: dir, services: [], log: silentLog });
});
afterAll(async () => {
  await stack?.stop();
  await cleanup();
});

describe('dubegrid sources rm while the mapping is still needed', () => {
  it('refuses while a file naming it waits to be split, then while its unit is on the stream; --force removes it', async () => {
    const added = await cli('sources', 'add', join(dir, 'pump.yaml'));
    expect(added.code, added.stderr).toBe(0);
    const { s3, names } = (stack as EmbeddedStack).clients;
    await s3.send(
      new PutObjectCommand({
        Bucket: names.bucket,
        Key: KEY,
        Body: await readFile(`${EXAMPLE}.csv`),
        Metadata: { [SOURCE_METADATA_KEY]: NAME },
      }),
    );

    const waiting = await cli('sources', 'rm', NAME);
    expect(waiting.code).toBe(2);
    expect(waiting.stderr).toMatch(
      /pump_export is still needed: 1 raw file naming it is not split yet \(raw\/prod\/lv\/y=2025\/m=08\/pumps\.csv\).*unknown_format.*--force/,
    );
    expect(waiting.stderr).not.toMatch(/l_per_h/); // nothing it split yet

    // a stack with a splitter: its start-up reconcile splits what has no manifest
    await (stack as EmbeddedStack).stop();
    stack = await startStack({ dataDir: dir, services: [createSplitterService()], log: silentLog });
    const manifest = await eventually('the manifest', () => getManifest((stack as EmbeddedStack).clients, KEY));
    expect(manifest).toMatchObject({ mapping: { name: NAME }, events_emitted: 6 });

    const onStream = await cli('sources', 'rm', NAME);
    expect(onStream.code).toBe(2);
    expect(onStream.stderr).toMatch(
      /pump_export is still needed: it alone declares l_per_h, and 1 file it split is within the stream's 168 h retention \(raw\/prod\/lv\/y=2025\/m=08\/pumps\.csv\)/,
    );
    expect(onStream.stderr).not.toMatch(/not split yet/);

    const forced = await cli('sources', 'rm', NAME, '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    const body = JSON.parse(forced.stdout) as { removed: string; forced_past: string[] };
    expect(body.removed).toBe(NAME);
    expect(body.forced_past).toHaveLength(1);
    const list = JSON.parse((await cli('sources', 'list', '--json')).stdout) as { mappings: { name: string }[] };
    expect(list.mappings.map((m) => m.name)).not.toContain(NAME);
  });
});
