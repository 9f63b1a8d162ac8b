import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dryRun } from '../../src/consumers/anomaly/dry-run.ts';
import { resolveRulesConfig } from '../../src/consumers/anomaly/rules/config.ts';
import { RULE_IDS, type AssetInfo } from '../../src/consumers/anomaly/rules/types.ts';
import { parseLabels, scoreAlerts } from '../../src/consumers/anomaly/score.ts';
import { parseAssetsCsv } from '../../src/consumers/registry/assets-csv.ts';
import { assetInfoOf } from '../../src/consumers/anomaly/asset-info.ts';
import { ANOMALY_RULES, planAnomalies } from '../../src/generate/anomalies.ts';
import { buildAssets, generate, type GenerateSummary } from '../../src/generate/index.ts';
import { generateLabelled } from '../../src/generate/labelled.ts';
import { missingRulesWarning } from '../../src/cli/commands/generate-anomalies.ts';
import { splitBody } from '../../src/producers/splitter/core.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { deaggregate } from '../../src/shared/kpl.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function out(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dubegrid-anom-gen-'));
  dirs.push(d);
  return d;
}

/** The generated files through the real splitter core, in memory. */
async function eventsOf(summary: GenerateSummary): Promise<ReadingEvent[]> {
  const events: ReadingEvent[] = [];
  for (const f of summary.files) {
    const body = await readFile(f.path);
    await splitBody(
      (async function* () {
        yield body;
      })(),
      { source: { bucket: 'b', key: 'raw/generated.csv', etag: 'e' }, ingestedAt: '2025-09-01T00:00:00.000Z' },
      {
        put: (r) => {
          for (const u of deaggregate({ data: r.data, partitionKey: r.partitionKey, sequenceNumber: '1' }))
            events.push(JSON.parse(u.data.toString()) as ReadingEvent);
        },
        needsDrain: false,
        drain: async () => undefined,
      },
      { add: () => undefined, needsDrain: false, drain: async () => undefined },
    );
  }
  return events;
}

async function registryOf(summary: GenerateSummary): Promise<Map<string, AssetInfo>> {
  const parsed = parseAssetsCsv(
    await readFile(summary.assets_file, 'utf8'),
    'reference/assets/assets.csv',
    '2025-09-01T00:00:00.000Z',
  );
  return new Map(parsed.items.map((i) => [i.asset_id, assetInfoOf(i)]));
}

function alertsOf(events: readonly ReadingEvent[], assets: Map<string, AssetInfo>) {
  const run = dryRun(assets, resolveRulesConfig());
  const out = [];
  for (let i = 0; i < events.length; i += 5_000) out.push(...run.apply(events.slice(i, i + 5_000)));
  return out.filter((n) => n.kind === 'open');
}

const SIZE = { substations: 2, days: 5, seed: 11 } as const;
/** Generating, splitting and judging a few days takes seconds, more on a busy machine. */
const SLOW_MS = 60_000;

describe('generate --anomalies', () => {
  it('plans every rule class, deterministically, on assets it can apply to', () => {
    const assets = buildAssets(SIZE.seed, SIZE.substations);
    const start = Date.parse('2025-08-11T00:00:00.000Z');
    const a = planAnomalies(assets, SIZE.seed, start, 600_000, SIZE.days * 144);
    const b = planAnomalies(assets, SIZE.seed, start, 600_000, SIZE.days * 144);
    expect(a.labels).toEqual(b.labels);
    expect(new Set(a.labels.map((l) => l.rule))).toEqual(new Set(ANOMALY_RULES));
    expect([...ANOMALY_RULES].sort()).toEqual([...RULE_IDS].sort());
    for (const i of a.injections.filter((x) => x.rule === 'reverse_power')) expect(i.feeder?.hasGeneration).toBe(false);
  });

  it(
    'raises exactly the labelled alerts: precision and recall 1 for every rule (rules core, real splitter)',
    async () => {
      const summary = await generateLabelled({ out: await out(), ...SIZE });
      const labels = parseLabels(await readFile(summary.labels_file, 'utf8'));
      expect(labels.length).toBe(summary.anomalies);
      const score = scoreAlerts(labels, alertsOf(await eventsOf(summary), await registryOf(summary)));
      expect(score.missed).toEqual([]);
      expect(score.false_positives).toEqual([]);
      for (const rule of RULE_IDS) expect(score.rules[rule].labels, rule).toBeGreaterThan(0);
      expect(summary.missing_rules).toEqual([]);
      expect(missingRulesWarning(summary)).toBe('');
    },
    SLOW_MS,
  );

  it(
    'names the rule classes a network and period too small had no room for',
    async () => {
      const summary = await generateLabelled({ out: await out(), substations: 1, days: 1, seed: 3 });
      expect(summary.anomalies).toBeGreaterThan(0);
      expect(summary.anomalies).toBeLessThan(ANOMALY_RULES.length);
      expect(summary.missing_rules.length).toBe(
        ANOMALY_RULES.length -
          new Set(
            Object.entries(summary.anomalies_by_rule)
              .filter(([, n]) => n > 0)
              .map(([r]) => r),
          ).size,
      );
      const warning = missingRulesWarning(summary);
      for (const rule of summary.missing_rules) expect(warning).toContain(rule);
      expect(warning).toMatch(/--substations or --days/);
    },
    SLOW_MS,
  );

  it(
    'raises no alert at all on clean data',
    async () => {
      const summary = await generate({ out: await out(), ...SIZE });
      expect(alertsOf(await eventsOf(summary), await registryOf(summary))).toEqual([]);
    },
    SLOW_MS,
  );
});
