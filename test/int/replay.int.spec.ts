/**
 * Replay and backfill on the real embedded pipeline (issue 7): generated data with
 * labelled anomalies is ingested through the splitter; every projection is then
 * snapshotted (full table scans, the alerts, the deduplicated lake) and must be
 * identical after replaying the whole stream three times into all projections, and
 * after backfilling the raw prefix twice — with no new alert at the webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedStack } from '../../src/local/stack.ts';
import { backfill } from '../../src/ops/replay/backfill.ts';
import { catchUpProjections } from '../../src/ops/replay/catch-up.ts';
import type { OpsEnvironment } from '../../src/ops/replay/environment.ts';
import { replay } from '../../src/ops/replay/replay.ts';
import { verify } from '../../src/ops/replay/verify/verify.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import { tempDir } from '../support/tmp.ts';
import {
  attachedContext,
  environment,
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
let envt: OpsEnvironment;
let manifest: Manifest;
let before: Snapshot;
let alertsBefore: number;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-replay-'));
  hook = await webhook();
  stack = await startPipeline(dir, hook);
  envt = await environment(stack);
  const data = await generateData(dir);
  await loadAssets(stack, data.assets);
  manifest = await ingestObject(stack, `${RAW_PREFIX}lv_data_2025_08.csv`, data.csv);
  before = await snapshot(stack);
  alertsBefore = hook.received.length;
});
afterAll(async () => {
  await stack?.stop();
  await hook?.close();
  await cleanup?.();
});

describe('replay', () => {
  it('starts from a pipeline that raised alerts and delivered them to the webhook', () => {
    expect(manifest.events_emitted).toBeGreaterThan(3_000);
    expect(before.readings).toHaveLength(manifest.events_emitted);
    expect(before.lake).toHaveLength(manifest.events_emitted);
    const notifications = before.alerts.filter((a) => a.includes('"notification#'));
    expect(notifications.length).toBeGreaterThan(0);
    expect(alertsBefore).toBe(notifications.length);
  });

  it('leaves every projection identical after replaying the whole stream three times into all', async () => {
    for (let round = 1; round <= 3; round++) {
      const summary = await replay(envt, {
        range: { from: new Date(0), to: new Date() },
        projections: ['state', 'anomaly', 'lake'],
      });
      expect(summary.failures).toEqual([]);
      expect(summary.readings).toBe(manifest.events_emitted);
      for (const p of ['state', 'anomaly', 'lake'] as const)
        expect(summary.by_projection[p]?.readings).toBe(manifest.events_emitted);
      // every reading recognised as applied before: nothing judged again, nothing stored
      expect(summary.by_projection.anomaly?.detail).toMatchObject({
        applied: 0,
        late: 0,
        notifications_stored: 0,
        windows_written: 0,
      });
      await envt.flush();
      expect(await snapshot(stack)).toEqual(before);
      expect(hook.received).toHaveLength(alertsBefore);
    }
  });

  it('leaves every projection identical after backfilling the raw prefix twice', async () => {
    for (let round = 1; round <= 2; round++) {
      const summary = await backfill(stack.clients, { prefix: RAW_PREFIX });
      expect(summary.objects).toEqual([
        expect.objectContaining({
          status: 'split',
          readings: manifest.events_emitted,
          same_emission: true,
          ingested_at: manifest.ingested_at,
        }),
      ]);
      const caught = await catchUpProjections(attachedContext(stack), summary.shards, { timeoutMs: 60_000 });
      expect(caught).toMatchObject({ waited: true, consumers: ['state', 'anomaly'], lake_flushed: true });
      expect(await snapshot(stack)).toEqual(before);
      expect(hook.received).toHaveLength(alertsBefore);
    }
    const report = await verify(envt);
    expect(report.differences).toEqual([]);
    expect(report.readings).toMatchObject({ duplicates: 0, corrections: 0, reference: 'lake' });
  });

  it('paces a backfill to --rate readings per second', async () => {
    const rate = 2_000;
    const summary = await backfill(stack.clients, { prefix: RAW_PREFIX, rate });
    // unpaced, the split takes a fraction of this; paced, all but the first request wait their turn
    const floor = 0.6 * (manifest.events_emitted / rate) * 1000;
    expect(summary.elapsed_ms).toBeGreaterThanOrEqual(floor);
    expect(summary.readings).toBe(manifest.events_emitted);
  });
});
