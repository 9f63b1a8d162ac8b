/**
 * `dubegrid ingest`, the real binary: with no stack running (it starts one for its own
 * lifetime) and attached to a running stack, with and without --wait.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitterServiceFactory, SPLITTER_SERVICE, type LocalSplitter } from '../../src/local/services/splitter.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { uploadFile } from '../../src/producers/ingest/upload.ts';
import { waitForManifests } from '../../src/producers/ingest/wait.ts';
import { eventually } from '../support/eventually.ts';
import { expectManifestInvariants, getManifest } from './splitter.support.ts';
import { LV_SAMPLE, NGED_HEAD } from '../support/shared-fixtures.ts';

const SAMPLE = LV_SAMPLE;
const NGED = NGED_HEAD;
const BAD =
  'Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value\nLV9,N,2025-09-01T00:00:00Z,feeder,1,L1 Voltage,V,240\nLV9,N,2025-09-01T00:00:00Z,feeder,1,L1 Voltage,V,lots\nLV9,N,2025-09-01T00:00:00Z,feeder,1,L1 Voltage,volts?,240\n';

describe('dubegrid ingest', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack | undefined;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await mkdir(`${dir}/in/nested`, { recursive: true });
    await copyFile(SAMPLE, `${dir}/in/lv-monitor-sample.csv`);
    await writeFile(`${dir}/in/nested/nged.csv.gz`, gzipSync(readFileSync(NGED)));
    await writeFile(`${dir}/in/nested/bad.csv`, BAD);
    await writeFile(`${dir}/in/nested/README.txt`, 'not uploaded');
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('with no stack running: uploads a directory, partitioned by first reading, waits, and prints the totals as one JSON document', async () => {
    const run = await runCli(['ingest', `${dir}/in`, '--wait', '--json', '--data-dir', `${dir}/own`]);
    expect(run.stderr).toMatch(/uploading 3 file\(s\)/);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      waited: true,
      files: 3,
      rows_read: 14 + 10 + 3,
      rows_accepted: 14 + 10 + 1,
      rows_quarantined: 2,
      quarantine_reasons: { non_numeric: 1, unknown_unit: 1 },
      events_emitted: 14 + 50 + 1,
    });
    expect(doc.kinesis_records).toBeGreaterThanOrEqual(3);
    expect(doc.put_payload_units).toBeGreaterThanOrEqual(doc.kinesis_records);
    expect(doc.uploads.map((u: { key: string }) => u.key)).toEqual([
      'raw/prod/lv/y=2025/m=08/lv-monitor-sample.csv',
      'raw/prod/lv/y=2025/m=09/bad.csv',
      'raw/prod/lv/y=2024/m=01/nged.csv.gz',
    ]);
    for (const m of doc.manifests) expectManifestInvariants(m);
    expect(doc.manifests[2]).toMatchObject({ format: 'dno_wide', source: { gzip: true } });
  });

  it('routes a generated directory by what each file is: assets to the registry first, labels skipped, readings split', async () => {
    await mkdir(`${dir}/gen/y=2025/m=08`, { recursive: true });
    await writeFile(
      `${dir}/gen/assets.csv`,
      'substation_number,substation_name,feeder_id,transformer_kva,feeder_rated_current_a,has_generation,latitude,longitude\nLV123,Victoria Grove,05,315,400,false,52.1,-0.8\n',
    );
    await writeFile(
      `${dir}/gen/labels.csv`,
      'asset_id,rule,start,end\nLV123:05,overload,2025-08-14T15:00:00.000Z,2025-08-14T16:00:00.000Z\n',
    );
    await copyFile(SAMPLE, `${dir}/gen/y=2025/m=08/lv-monitor-sample.csv`);
    const run = await runCli(['ingest', `${dir}/gen`, '--wait', '--json', '--data-dir', `${dir}/gen-dd`]);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.uploads.map((u: { key: string }) => u.key)).toEqual([
      'reference/assets/assets.csv',
      'raw/prod/lv/y=2025/m=08/lv-monitor-sample.csv',
    ]);
    expect(doc.skipped).toEqual([{ file: `${dir}/gen/labels.csv`, why: expect.stringContaining('labels') }]);
    expect(doc).toMatchObject({
      waited: true,
      registry_loaded: ['reference/assets/assets.csv'],
      files: 1,
      events_emitted: 14,
      rows_quarantined: 0,
    });
    expect(run.stderr).toMatch(/skipping .*labels\.csv/);
    const assets = await runCli(['assets', '--json', '--data-dir', `${dir}/gen-dd`]);
    expect(JSON.parse(assets.stdout).count).toBe(2);
  });

  it('refuses what it cannot upload, in one line', async () => {
    const [missing, prefix] = await Promise.all([
      runCli(['ingest', `${dir}/nope.csv`, '--data-dir', `${dir}/own`]),
      runCli(['ingest', SAMPLE, '--prefix', 'elsewhere/', '--data-dir', `${dir}/own`]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^dubegrid: .*nope\.csv: no such file or directory$/);
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toMatch(/--prefix must be under raw\//);
  });

  // Each test below uploads what it reads back: none depends on what another left on the stack.
  describe('attached to a running stack', () => {
    beforeAll(async () => {
      stack = await startStack({ dataDir: `${dir}/up`, services: [splitterServiceFactory] });
    });

    it('returns after the upload without --wait, and waits with it', async () => {
      const quick = await runCli(['ingest', SAMPLE, '--prefix', 'raw/test/', '--json', '--data-dir', `${dir}/up`]);
      expect(quick.code).toBe(0);
      const doc = JSON.parse(quick.stdout);
      expect(doc).toMatchObject({ waited: false, uploads: [{ key: 'raw/test/lv-monitor-sample.csv' }] });
      expect(doc.rows_read).toBeUndefined();
      const m = await eventually('the manifest of raw/test/lv-monitor-sample.csv', () =>
        getManifest(stack!.clients, 'raw/test/lv-monitor-sample.csv'),
      );
      expect(m.events_emitted).toBe(14);

      const waited = await runCli(['ingest', NGED, '--wait', '--data-dir', `${dir}/up`]);
      expect(waited.code).toBe(0);
      expect(waited.stdout).toMatch(
        /raw\/prod\/lv\/y=2024\/m=01\/nged-lv-feeder-2024-01-head\.csv\s+dno_wide\s+10\s+10\s+0\s+50/,
      );
      expect(waited.stdout).toMatch(/Kinesis: \d+ records, \d+ PUT payload units/);
      await stack!.service<LocalSplitter>(SPLITTER_SERVICE)!.waitIdle();
    });

    it('names the pending files, and where failures are kept, when the splitter never writes a manifest', async () => {
      // under reference/: the splitter is never invoked for it, so no manifest comes
      const size = readFileSync(SAMPLE).length;
      const up = await uploadFile(
        stack!.clients.s3,
        stack!.clients.names.bucket,
        'reference/never-split.csv',
        SAMPLE,
        size,
      );
      await expect(
        waitForManifests(stack!.clients.s3, stack!.clients.names.bucket, [up], {
          timeoutMs: 300,
          failuresHint: 'see the queue X',
        }),
      ).rejects.toThrow(
        /timed out after 0 s waiting for the splitter; still without a manifest: reference\/never-split\.csv; see the queue X/,
      );
    });

    it('waits for the split of a re-upload of identical content, not the earlier manifest', async () => {
      const key = 'raw/test/reupload.csv';
      const size = readFileSync(SAMPLE).length;
      const first = await uploadFile(stack!.clients.s3, stack!.clients.names.bucket, key, SAMPLE, size);
      const [before] = await waitForManifests(stack!.clients.s3, stack!.clients.names.bucket, [first], {
        timeoutMs: 60_000,
      });
      if (!before) throw new Error(`no manifest of ${key}`);
      // S3 keeps LastModified in whole seconds: upload again in a later second than the first split started.
      const startedSecond = Math.floor(Date.parse(before.started_at) / 1000);
      await eventually(
        `a later second than the first split's start (${before.started_at})`,
        () => Math.floor(Date.now() / 1000) > startedSecond,
        { intervalMs: 20 },
      );
      const up = await uploadFile(stack!.clients.s3, stack!.clients.names.bucket, key, SAMPLE, size);
      expect(up.etag).toBe(before.source.etag);
      const [after] = await waitForManifests(stack!.clients.s3, stack!.clients.names.bucket, [up], {
        timeoutMs: 60_000,
      });
      expect(Date.parse(after!.started_at)).toBeGreaterThanOrEqual(up.lastModified ?? Number.NaN);
      expect(after!.started_at).not.toBe(before.started_at);
      expect(after).toMatchObject({ events_emitted: 14, event_id_digest: before.event_id_digest });
    });

    it('uploads large files in parts, and waits for the manifest of the multipart object', async () => {
      // 14 readings and 7 rows with a 900 KB name (quarantined): two parts, quick to split
      const path = `${dir}/padded.csv`;
      const long = Array.from(
        { length: 7 },
        () => `LV1,${'x'.repeat(900_000)},2025-08-14T15:00:00Z,feeder,05,L1 Current,A,1\n`,
      ).join('');
      await writeFile(path, readFileSync(SAMPLE, 'utf8') + long);
      const size = readFileSync(path).length;
      let progress = 0;
      const up = await uploadFile(
        stack!.clients.s3,
        stack!.clients.names.bucket,
        'raw/test/padded.csv',
        path,
        size,
        (sent) => (progress = sent),
        { multipartThresholdBytes: 1024 * 1024 },
      );
      expect(progress).toBe(size);
      const [m] = await waitForManifests(stack!.clients.s3, stack!.clients.names.bucket, [up], { timeoutMs: 60_000 });
      expect(m).toMatchObject({
        source: { etag: up.etag, size_bytes: size },
        rows_read: 21,
        events_emitted: 14,
        quarantine_reasons: { oversized_field: 7 },
      });
    });
  });
});
