import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabels, scoreAlerts } from '../../src/consumers/anomaly/score.ts';
import { LABELS_FILE } from '../../src/generate/labelled.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

describe('npm start (dubegrid start --once)', () => {
  it('generates the sample, ingests it, waits for every projection and reports, then exits', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const run = await runCli(['start', '--once', '--json', '--data-dir', dir, '--substations', '1', '--days', '2']);
      expect(run.code, run.stderr).toBe(0);
      const doc = JSON.parse(run.stdout);
      expect(doc.generated.rows).toBeGreaterThan(0);
      const t = doc.ingest.totals;
      expect(t.rows_read).toBe(doc.generated.rows);
      expect(t.rows_read).toBe(t.rows_accepted + t.rows_quarantined);
      expect(t.events_emitted).toBe(t.rows_accepted);
      expect(doc.caught_up.waited).toBe(true);
      expect(doc.caught_up.consumers).toEqual(expect.arrayContaining(['state', 'anomaly']));
      expect(doc.caught_up.lake_flushed).toBe(true);
      expect(doc.latest.length).toBeGreaterThan(0);
      expect(doc.alerts.length).toBeGreaterThan(0);
      // the sample ships its ground truth: every labelled anomaly raised an incident within its window, and no incident matches no label
      const labels = parseLabels(await readFile(join(doc.sample_dir, LABELS_FILE), 'utf8'));
      expect(labels).toHaveLength(doc.generated.anomalies);
      expect(labels.length).toBeGreaterThan(0);
      const score = scoreAlerts(labels, doc.alerts);
      expect(score.missed).toEqual([]);
      expect(score.false_positives).toEqual([]);
      // the console subscriber's lines were counted during the run, not printed: at least one per incident (its opening)
      expect(run.stderr).not.toMatch(/^alert: /m);
      const held = Number(/the console subscriber received (\d+) alert notification/.exec(run.stderr)?.[1]);
      expect(held).toBeGreaterThanOrEqual(doc.alerts.length);
      expect(doc.report_top).toMatch(/Asset performance/);
      // the stack it started is gone: the runtime file was removed
      const again = await runCli(['status', '--json', '--data-dir', dir]);
      expect(JSON.parse(again.stdout).runtime.running).toBe(false);
    } finally {
      await cleanup();
    }
  });
});
