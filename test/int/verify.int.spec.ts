/**
 * Verify and rebuild on the real embedded pipeline (issue 7), through the CLI a user
 * runs beside `dubegrid up`: generated data with anomalies plus a republished file
 * (two duplicates, one correction, one bad row) → verify holds and tells duplicates and
 * corrections apart; the state projection wiped → `rebuild --projection state` → verify
 * holds and every table is as it was; one `readings` item deleted → verify exits 1 and
 * names it.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingItem } from '../../src/consumers/state/items.ts';
import type { EmbeddedStack } from '../../src/local/stack.ts';
import { renderVerify } from '../../src/ops/replay/verify/report.ts';
import type { VerifyReport } from '../../src/ops/replay/verify/verify.ts';
import { emptyTable } from '../../src/ops/replay/wipe.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import { TABLES } from '../../src/shared/resources.ts';
import { runCli } from '../support/cli.ts';
import { scanAll } from '../support/tables.ts';
import { tempDir } from '../support/tmp.ts';
import {
  generateData,
  ingestObject,
  loadAssets,
  RAW_PREFIX,
  snapshot,
  startPipeline,
  webhook,
  type Snapshot,
  type Webhook,
} from './replay.support.ts';

let dir: string;
let cleanup: () => Promise<void>;
let hook: Webhook;
let stack: EmbeddedStack;
let first: Manifest;
let second: Manifest;
let before: Snapshot;

/** A later file repeating three readings of the first (two as they were, one with another value) and one unreadable row. */
function republished(csv: string): string {
  const [header, a, b, c] = csv.split('\n') as [string, string, string, string];
  const corrected = c.replace(/,([^,]*)$/, (_m, v: string) => `,${Number(v) + 1.5}`);
  return [header, a, b, corrected, c.replace(/,([^,]*)$/, ',not-a-number'), ''].join('\n');
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-verify-'));
  hook = await webhook();
  stack = await startPipeline(dir, hook);
  const data = await generateData(dir);
  await loadAssets(stack, data.assets);
  first = await ingestObject(stack, `${RAW_PREFIX}lv_data_2025_08.csv`, data.csv);
  second = await ingestObject(
    stack,
    `${RAW_PREFIX}lv_data_2025_08_republished.csv`,
    republished(data.csv.toString('utf8')),
  );
  before = await snapshot(stack);
});
afterAll(async () => {
  await stack?.stop();
  await hook?.close();
  await cleanup?.();
});

const verifyCli = async (): Promise<{ code: number; report: VerifyReport; stderr: string }> => {
  const run = await runCli(['verify', '--json', '--data-dir', dir]);
  return { code: run.code, report: JSON.parse(run.stdout) as VerifyReport, stderr: run.stderr };
};

describe('verify', () => {
  it('holds on a pipeline that has seen duplicates, a correction and a bad row, and tells them apart', async () => {
    expect(second).toMatchObject({ rows_read: 4, rows_accepted: 3, rows_quarantined: 1, events_emitted: 3 });
    const { code, report } = await verifyCli();
    expect(report.differences).toEqual([]);
    expect(code).toBe(0);
    expect(report.readings).toMatchObject({
      emitted: { readings: first.events_emitted + 3 },
      expected: { readings: first.events_emitted },
      duplicates: 2,
      corrections: 1,
      table: { readings: first.events_emitted },
      lake: { readings: first.events_emitted },
      reference: 'raw',
    });
    expect(report.raw).toMatchObject({ objects: 2, manifests: 2, rows_quarantined: 1, quarantine_entries: 1 });
    expect(report.notifications.stored).toBeGreaterThan(0);
    expect(report.notifications.unpublished).toBe(0);
  });

  it('rebuilds a wiped state projection from the stream to exactly what it was', async () => {
    await emptyTable(stack.clients.doc, TABLES.readings);
    await emptyTable(stack.clients.doc, TABLES.latest);
    const run = await runCli(['rebuild', '--projection', 'state', '--json', '--data-dir', dir]);
    const summary = JSON.parse(run.stdout) as { replay: { readings: number }; verify: VerifyReport };
    expect(summary.verify.differences).toEqual([]);
    expect(run.code).toBe(0);
    expect(summary.replay.readings).toBe(first.events_emitted + 3);
    expect(await snapshot(stack)).toEqual(before);
  });

  it('exits non-zero and names the reading when one item of `readings` is gone', async () => {
    const items = await scanAll<ReadingItem>(stack.clients.doc, TABLES.readings.tableName);
    const victim = items.sort((a, b) => a.sk.localeCompare(b.sk))[0]!;
    await stack.clients.doc.send(
      new DeleteCommand({ TableName: TABLES.readings.tableName, Key: { asset_id: victim.asset_id, sk: victim.sk } }),
    );
    const { code, report } = await verifyCli();
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.differences).toEqual([
      expect.objectContaining({
        zone: 'readings',
        check: 'missing_from_table',
        subject: `${victim.asset_id} ${victim.sk}`,
        detail: expect.stringContaining(victim.event_id),
      }),
    ]);
    expect(renderVerify(report)).toContain(
      `readings/missing_from_table  ${victim.asset_id} ${victim.sk}: the readings table lacks a reading`,
    );
  });
});
