/**
 * What happens to a file the splitter cannot finish, and to files uploaded while no
 * splitter ran: the embedded wiring's retries, its DLQ, and its start-up reconcile.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDlq } from '../../src/local/dlq.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import {
  createSplitterService,
  splitterServiceFactory,
  SPLITTER_SERVICE,
  type LocalSplitter,
} from '../../src/local/services/splitter.ts';
import { asyncSchedule } from '../../src/local/invoker/schedule.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { createSplitterHandler } from '../../src/producers/splitter/handler.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { eventually } from '../support/eventually.ts';
import { getManifest, putRaw } from './splitter.support.ts';
import { LV_SAMPLE } from '../support/shared-fixtures.ts';

const SAMPLE = readFileSync(LV_SAMPLE);
const quiet = { info: () => undefined, warn: () => undefined };

describe('splitter failures and recovery (embedded)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack | undefined;
  const dataDir = (): string => `${dir}/data`;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('retries a failing invocation twice, then lists the file on the DLQ; ingest --wait reports it instead of waiting', async () => {
    const attempts: string[] = [];
    const failing = createSplitterService({
      schedule: asyncSchedule(50 / 60_000), // Lambda's 1 and 2 minutes as 50 and 100 ms
      reconcile: false,
      handler: (ctx) => {
        const inner = createSplitterHandler({
          s3: ctx.clients.s3,
          kinesis: ctx.clients.kinesis,
          stream: 'dubegrid-no-such-stream',
          log: quiet,
        });
        return async (event) => {
          attempts.push(event.Records[0]!.s3.object.key);
          return inner(event);
        };
      },
    });
    stack = await startStack({ dataDir: dataDir(), services: [failing] });
    const key = 'raw/prod/lv/y=2025/m=08/doomed.csv';
    const etag = await putRaw(stack.clients, key, SAMPLE);
    const splitter = stack.service<LocalSplitter>(SPLITTER_SERVICE)!;
    const dlq = new LocalDlq(dataPaths(dataDir()).dlq);
    await eventually(`the splitter's DLQ entry for ${key}`, async () => (await dlq.list('splitter')).length > 0);
    await splitter.waitIdle();

    // the notification's key, URL-encoded as S3 sends it, three times: the invocation and two retries
    expect(attempts).toEqual(Array(3).fill('raw/prod/lv/y%3D2025/m%3D08/doomed.csv'));
    const entries = await dlq.list('splitter');
    expect(entries).toEqual([
      expect.objectContaining({
        source: 'splitter',
        condition: 'retries_exhausted',
        attempts: 3,
        payload: { kind: 's3', bucket: stack.clients.names.bucket, key, etag },
      }),
    ]);
    expect(entries[0]!.error).toMatch(/doomed\.csv could not be split: .*dubegrid-no-such-stream/);
    expect(await getManifest(stack.clients, key)).toBeUndefined();
    expect(await splitter.status()).toMatchObject({
      files_failed: 1,
      files_done: 0,
      invocations: 3,
      retries: 2,
      in_flight: 0,
    });

    // the user's command sees the failure through the DLQ of the running stack
    await writeFile(`${dir}/doomed2.csv`, SAMPLE);
    const run = await runCli(['ingest', `${dir}/doomed2.csv`, '--wait', '--timeout', '50', '--data-dir', dataDir()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /dubegrid: the splitter gave up on raw\/prod\/lv\/y=2025\/m=08\/doomed2\.csv: .* \(see `dubegrid dlq`\)/,
    );
    await stack.stop();
    stack = undefined;
  });

  it('on start, splits raw objects uploaded while no splitter ran, but not those on the DLQ', async () => {
    // its own data dir: the file on the DLQ is put there by this test, not left by the one above
    const data = `${dir}/reconcile`;
    stack = await startStack({ dataDir: data, services: [] });
    const key = 'raw/prod/lv/y=2025/m=08/while-down.csv';
    await putRaw(stack.clients, key, SAMPLE);
    const doomed = 'raw/prod/lv/y=2025/m=08/doomed.csv';
    const etag = await putRaw(stack.clients, doomed, SAMPLE);
    await new LocalDlq(dataPaths(data).dlq).put({
      source: SPLITTER_SERVICE,
      error: 'an earlier run gave up on it',
      condition: 'retries_exhausted',
      attempts: 3,
      payload: { kind: 's3', bucket: stack.clients.names.bucket, key: doomed, etag },
    });
    await stack.stop();

    stack = await startStack({ dataDir: data, services: [splitterServiceFactory] });
    const splitter = stack.service<LocalSplitter>(SPLITTER_SERVICE)!;
    await splitter.waitIdle();
    expect(await getManifest(stack.clients, key)).toMatchObject({ rows_read: 14, events_emitted: 14 });
    expect(await getManifest(stack.clients, doomed)).toBeUndefined();
    expect(await splitter.status()).toMatchObject({ files_done: 1, files_failed: 0 });
  });
});
